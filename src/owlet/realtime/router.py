"""`/api/tasks`: the chat generations running on this server, and stopping them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from owlet.chats import repository as chats
from owlet.core.clock import now
from owlet.deps import AdminUser, ContainerDep, SessionDep, VerifiedUser
from owlet.errors import Forbidden, NotFound
from owlet.users import repository as users

router = APIRouter(prefix="/api/tasks", tags=["tasks"])
usage_router = APIRouter(tags=["tasks"])
ACTIVE_WINDOW = 180  # seconds since last seen that count a user as active


@usage_router.get("/api/usage")
async def usage(user: VerifiedUser, container: ContainerDep, session: SessionDep) -> dict[str, Any]:
    """Models in use right now (the sockets' `usage` reports) and users seen lately."""
    if not container.settings.enable_public_active_users_count and user.role != "admin":
        raise Forbidden("Access denied. Only administrators can view usage statistics.")
    return {
        "model_ids": await container.realtime.sessions.models_in_use(),
        "user_count": await users.active_since(session, now() - ACTIVE_WINDOW),
    }


TaskId = Annotated[str, Path(min_length=1, max_length=100)]
ChatId = Annotated[str, Path(min_length=1, max_length=300)]


@router.get("")
async def list_tasks(admin: AdminUser, container: ContainerDep) -> dict[str, list[str]]:
    return {"tasks": await container.realtime.tasks.ids()}


@router.get("/chat/{chat_id:path}")
async def chat_tasks(
    chat_id: ChatId, user: VerifiedUser, container: ContainerDep, session: SessionDep
) -> dict[str, list[str]]:
    """The chat's running generations; none for a chat that is not the caller's."""
    if await chats.owned(session, chat_id, user.id) is None:
        return {"task_ids": []}
    return {"task_ids": await container.realtime.tasks.of_chat(chat_id)}


@router.post("/stop/{task_id}")
async def stop_task(
    task_id: TaskId, user: VerifiedUser, container: ContainerDep
) -> dict[str, bool | str]:
    """Admins stop any generation; a user stops their own (the web client's stop button)."""
    tasks = container.realtime.tasks
    owner = await tasks.owner(task_id)
    if owner is None or (user.role != "admin" and owner != user.id):
        raise NotFound(f"Task {task_id} not found")
    stopped = await tasks.stop(task_id)
    return {"status": stopped, "message": f"Task {task_id} successfully stopped."}


@router.post("/chat/{chat_id}/stop")
async def stop_chat_tasks(
    chat_id: ChatId, user: VerifiedUser, container: ContainerDep, session: SessionDep
) -> dict[str, bool | str]:
    if await chats.owned(session, chat_id, user.id) is None:
        raise NotFound()
    tasks = container.realtime.tasks
    ids = await tasks.of_chat(chat_id)
    for task_id in ids:
        await tasks.stop(task_id)
    if not ids:
        return {"status": True, "message": "No tasks found."}
    return {"status": True, "message": f"Task {ids[0]} successfully stopped."}
