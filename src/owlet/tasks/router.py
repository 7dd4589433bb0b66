"""`/api/v1/tasks`: the task settings, and titles, tags and follow-ups on request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep, VerifiedUser, end_transaction
from owlet.errors import BadRequest
from owlet.tasks.prompts import Kind
from owlet.tasks.schemas import TaskConfig, TaskConfigForm, TaskForm
from owlet.tasks.service import TaskService, ask

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

# response field -> config key
FIELDS = {
    "TASK_MODEL": "task.model.default",
    "TASK_MODEL_EXTERNAL": "task.model.external",
    "ENABLE_TITLE_GENERATION": "task.title.enable",
    "TITLE_GENERATION_PROMPT_TEMPLATE": "task.title.prompt_template",
    "ENABLE_TAGS_GENERATION": "task.tags.enable",
    "TAGS_GENERATION_PROMPT_TEMPLATE": "task.tags.prompt_template",
    "ENABLE_FOLLOW_UP_GENERATION": "task.follow_up.enable",
    "FOLLOW_UP_GENERATION_PROMPT_TEMPLATE": "task.follow_up.prompt_template",
}


def _config(get: Any) -> TaskConfig:
    return TaskConfig(**{name: get(key) for name, key in FIELDS.items()})


@router.get("/config", response_model=TaskConfig)
async def task_config(_user: VerifiedUser, config: ConfigDep) -> TaskConfig:
    return _config(config.get)


@router.post("/config/update", response_model=TaskConfig)
async def update_task_config(
    form: TaskConfigForm, _admin: AdminUser, config: ConfigDep, session: SessionDep
) -> TaskConfig:
    values = {FIELDS[name]: value for name, value in form.model_dump().items() if value is not None}
    await config.stage(session, values)
    return _config(lambda key: values.get(key, config.get(key)))


async def _task(
    kind: Kind, form: TaskForm, user: VerifiedUser, container: ContainerDep, config: ConfigDep,
    session: SessionDep,
) -> dict[str, Any]:  # fmt: skip
    service = TaskService(session, container, config)
    if not service.enabled(kind):
        raise BadRequest(f"{kind.replace('_', '-').capitalize()} generation is disabled")
    model = await service.model_for(user, form.model)
    prompt = service.prompt(kind, form.messages)
    await end_transaction(session)  # no database connection is held while the model answers
    return await ask(container, config, model, prompt, user.id)


@router.post("/title/completions")
async def title(form: TaskForm, user: VerifiedUser, container: ContainerDep, config: ConfigDep,
                session: SessionDep) -> dict[str, Any]:  # fmt: skip
    return await _task("title", form, user, container, config, session)


@router.post("/tags/completions")
async def tags(form: TaskForm, user: VerifiedUser, container: ContainerDep, config: ConfigDep,
               session: SessionDep) -> dict[str, Any]:  # fmt: skip
    return await _task("tags", form, user, container, config, session)


@router.post("/follow_up/completions")
@router.post("/follow_ups/completions")
async def follow_up(form: TaskForm, user: VerifiedUser, container: ContainerDep,
                    config: ConfigDep, session: SessionDep) -> dict[str, Any]:  # fmt: skip
    return await _task("follow_up", form, user, container, config, session)
