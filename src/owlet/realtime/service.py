"""UI mode on `/api/chat/completions`: who may ask for it, and starting the generation."""

from __future__ import annotations

from typing import Any

from owlet.chats.recorder import ChatRecorder
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.errors import BadRequest, Forbidden
from owlet.models.registry import ResolvedModel
from owlet.providers.answer import ChatStream, JsonBody
from owlet.realtime.generation import Generation
from owlet.tables import User


async def wants_ui_mode(container: Container, user: User, body: dict[str, Any]) -> bool:
    """True for a web-client request (`session_id` with a chat); its socket must be the
    caller's, and it must name the assistant message. Checked before anything is written."""
    session_id = body.get("session_id")
    if session_id is None:
        return False
    if not isinstance(session_id, str) or not session_id:
        raise BadRequest("session_id must be a socket id")
    chat_id = body.get("chat_id")
    new_chat = "parent_id" in body and body["parent_id"] is None and not chat_id
    if not chat_id and not new_chat:
        return False  # nothing to save into: answered over HTTP
    who = await container.realtime.sessions.get(session_id)
    if who is None:
        raise BadRequest("session_id is not a connected socket")
    if who.get("id") != user.id:
        raise Forbidden("session_id is another user's socket")
    message_id = body.get("id")
    if chat_id and (not isinstance(message_id, str) or not message_id):
        raise BadRequest("id (the assistant message id) is required with chat_id")
    return True


async def start(
    container: Container,
    config: ConfigStore,
    user: User,
    model: ResolvedModel,
    recorder: ChatRecorder,
    result: dict[str, Any] | JsonBody | ChatStream,
    body: dict[str, Any],
) -> dict[str, Any]:
    """Hand the answer to a task of its own; the reference's immediate reply."""
    generation = Generation(
        container, config, user, model, recorder, result,
        selected=model.selected_model_id,
        background=body.get("background_tasks") or {},
        messages=[m for m in body.get("messages") or [] if isinstance(m, dict)],
    )  # fmt: skip
    task_id = await container.realtime.tasks.start(recorder.chat_id, user.id, generation.run())
    return {"status": True, "task_id": task_id, "task_ids": [task_id],
            "chat_id": recorder.chat_id}  # fmt: skip
