"""Titles, tags and follow-ups: a prompt made from the exchange, one whole answer from the
task model, and the JSON read out of it (models wrap JSON in prose or fences)."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.errors import BadRequest
from owlet.models.registry import ModelNotFound, ModelRegistry, ResolvedModel
from owlet.providers.answer import ChatStream, JsonBody, ModelUnavailable
from owlet.providers.ollama_translate import ShapeError
from owlet.tables import User
from owlet.tasks.prompts import DEFAULTS, Kind, render

log = logging.getLogger(__name__)

# config key of each task's switch and template, and the JSON key of its answer
SWITCH = {"title": "task.title.enable", "tags": "task.tags.enable",
          "follow_up": "task.follow_up.enable"}  # fmt: skip
TEMPLATE = {"title": "task.title.prompt_template", "tags": "task.tags.prompt_template",
            "follow_up": "task.follow_up.prompt_template"}  # fmt: skip
ANSWER_KEY = {"title": "title", "tags": "tags", "follow_up": "follow_ups"}


def task_model_id(config: ConfigStore, chat_model: dict[str, Any]) -> str:
    """TASK_MODEL_EXTERNAL for a model of an OpenAI-compatible connection, TASK_MODEL for the
    others (Ollama, local); the chat's own model when the one that applies is empty."""
    external = chat_model.get("owned_by") == "openai"
    chosen = config.get("task.model.external" if external else "task.model.default")
    return str(chosen or chat_model["id"])


class TaskService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    async def model_for(self, user: User, chat_model_id: str) -> ResolvedModel:
        registry = ModelRegistry(self.session, self.container, self.config)
        chat_model = await registry.resolve(user, chat_model_id)
        chosen = task_model_id(self.config, chat_model.entry)
        if chosen == chat_model.entry["id"]:
            return chat_model
        try:
            return await registry.resolve(user, chosen)
        except ModelNotFound:  # a task model the caller cannot use: the chat's own
            return chat_model

    def enabled(self, kind: Kind) -> bool:
        return bool(self.config.get(SWITCH[kind]))

    def prompt(self, kind: Kind, messages: list[dict[str, Any]]) -> str:
        return render(self.config.get(TEMPLATE[kind]) or DEFAULTS[kind], messages)


async def ask(
    container: Container,
    config: ConfigStore,
    model: ResolvedModel,
    prompt: str,
    caller: str,
) -> dict[str, Any]:
    """One whole `chat.completion` for `prompt` from `model` (its base's provider)."""
    body = {"model": model.entry["id"], "stream": False,
            "messages": [{"role": "user", "content": prompt}]}  # fmt: skip
    try:
        result = await container.gateway.chat(config, model.base, body, caller=caller)
    except ModelUnavailable as exc:
        raise ModelNotFound() from exc
    except ShapeError as exc:
        raise BadRequest(str(exc)) from exc
    if isinstance(result, ChatStream):  # a server that streams anyway
        await result.aclose()
        raise BadRequest("The task model answered with a stream")
    return result.parsed() if isinstance(result, JsonBody) else result


def content_of(completion: dict[str, Any]) -> str:
    choices = completion.get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content") if choices else None
    return content if isinstance(content, str) else ""


def answer_of(kind: Kind, completion: dict[str, Any]) -> Any:
    """The title (str), tags or follow-ups (lists of str) in the model's answer, or None."""
    text = content_of(completion)
    start, end = text.find("{"), text.rfind("}")
    parsed: Any = None
    if 0 <= start < end:
        try:
            parsed = json.loads(text[start : end + 1])
        except ValueError:
            parsed = None
    value = parsed.get(ANSWER_KEY[kind]) if isinstance(parsed, dict) else None
    if kind == "title":
        if not isinstance(value, str):  # a model that ignored the format: its first line
            value = text.strip().splitlines()[0] if text.strip() else ""
        value = value.strip().strip('"').strip()[:100]
        return value or None
    if not isinstance(value, list):
        return None
    return [str(v).strip()[:100] for v in value if str(v).strip()][:10]
