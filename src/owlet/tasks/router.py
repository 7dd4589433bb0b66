"""`/api/v1/tasks`: the task settings, and titles, tags and follow-ups on request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from owlet.config import features, stored
from owlet.config.store import Staged
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


# The task settings owlet stores without running (autocomplete, queries, voice, tools).
if TYPE_CHECKING:  # the stored-only fields are read through `features.staged`
    TaskSettingsForm = TaskConfigForm
else:
    TaskSettingsForm = features.form_for("TaskSettingsForm", stored.TASKS, "all", TaskConfigForm)


def _config(get: Any) -> dict[str, Any]:
    ours = TaskConfig(**{name: get(key) for name, key in FIELDS.items()}).model_dump()
    return {**ours, **{wire: get(key) for wire, key, _, _ in stored.TASKS}}


@router.get("/config")
async def task_config(_user: VerifiedUser, config: ConfigDep) -> dict[str, Any]:
    return _config(config.get)


@router.post("/config/update")
async def update_task_config(
    form: TaskSettingsForm,
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
) -> dict[str, Any]:
    sent = form.model_dump(include=set(FIELDS))
    values = {FIELDS[name]: value for name, value in sent.items() if value is not None}
    values.update(features.staged(stored.TASKS, form))
    await config.stage(session, values)
    return _config(Staged(config, values).get)


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
