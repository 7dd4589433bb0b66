"""THE URL map: every router under its Open WebUI prefix."""

from __future__ import annotations

from fastapi import APIRouter

from owlet.audio.router import router as audio
from owlet.auth.ldap.router import router as ldap
from owlet.auth.oauth.admin_router import router as oauth_config
from owlet.auth.oauth.router import router as oauth
from owlet.auth.router import router as auths
from owlet.chats.activity_router import router as chat_activity
from owlet.chats.router import router as chats
from owlet.completions.anthropic_router import router as anthropic
from owlet.completions.router import router as completions
from owlet.config.router import router as configs
from owlet.connections.config_router import router as connections
from owlet.connections.ollama_router import router as ollama
from owlet.connections.openai_router import router as openai
from owlet.evaluations.router import router as evaluations
from owlet.events.router import router as events
from owlet.files.router import router as files
from owlet.folders.router import router as folders
from owlet.functions.router import router as functions
from owlet.groups.router import router as groups
from owlet.images.router import router as images
from owlet.knowledge.router import router as knowledge
from owlet.models.router import records as model_records
from owlet.models.router import router as models
from owlet.pipelines.router import router as pipelines
from owlet.realtime.router import router as tasks
from owlet.realtime.router import usage_router
from owlet.retrieval.router import router as retrieval
from owlet.tasks.router import router as task_completions
from owlet.users.router import router as users
from owlet.web.assets_router import router as web_assets
from owlet.web.empty_lists import router as empty_lists
from owlet.web.router import router as web

# Routes are matched in order, router by router. create_app includes each one into the app
# itself: FastAPI builds an included router's routes again for every level of nesting.
ROUTERS: tuple[APIRouter, ...] = (
    # the hot proxy paths first
    completions,
    ollama,
    web,
    auths,
    ldap,
    oauth,
    oauth_config,
    users,
    groups,
    models,
    model_records,
    connections,
    anthropic,
    chat_activity,  # before `chats`: its static paths must not be ids
    chats,
    folders,
    files,
    knowledge,
    retrieval,
    functions,
    empty_lists,
    web_assets,
    configs,
    evaluations,
    events,
    audio,
    images,
    pipelines,
    tasks,
    usage_router,
    task_completions,
    # last: its catch-all `/openai/{path}` must not shadow `/openai/config`.
    openai,
)
