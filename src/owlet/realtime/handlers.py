"""What sockets may send (reference §8.2): the JWT in the connect packet or in `user-join`,
`heartbeat`, `usage` and `events:chat`. A socket without a valid JWT of an active user stays
connected but unauthenticated: it joins no room, so it receives nothing, and its events are
ignored. Every handler answers bad input with nothing rather than an error."""

from __future__ import annotations

import logging
from typing import Any

from owlet.auth.credentials import identity_from_jwt, touch
from owlet.chats import activity
from owlet.chats.service import ChatService
from owlet.container import Container
from owlet.errors import AppError
from owlet.realtime.hub import Realtime, user_room
from owlet.tables import User

log = logging.getLogger(__name__)


def install(realtime: Realtime, container: Container) -> None:
    sio = realtime.sio

    async def authenticate(sid: str, auth: Any) -> dict[str, Any] | None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or token.startswith("sk-"):
            return None  # API keys are refused here, as in Open WebUI
        async with container.sessionmaker() as session:
            try:
                user = (await identity_from_jwt(session, container, token)).user
            except AppError:
                return None
            if user.role not in ("user", "admin"):
                return None
            who = {"id": user.id, "name": user.name, "role": user.role}
        await realtime.sessions.put(sid, who)
        await sio.enter_room(sid, user_room(who["id"]))
        return who

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await authenticate(sid, auth)

    @sio.on("user-join")
    async def user_join(sid: str, data: Any = None) -> dict[str, Any] | None:
        who = await authenticate(sid, data.get("auth") if isinstance(data, dict) else None)
        return {"id": who["id"], "name": who["name"]} if who else None

    @sio.on("heartbeat")
    async def heartbeat(sid: str, data: Any = None) -> None:
        who = await realtime.sessions.get(sid)
        if who is None:
            return
        async with container.sessionmaker() as session:
            user = await session.get(User, who["id"])
            if user is not None and touch(user):  # as often as a request would write it
                await session.commit()
                container.credentials.forget_user(user.id)

    @sio.on("usage")
    async def usage(sid: str, data: Any = None) -> None:
        who = await realtime.sessions.get(sid)
        model = data.get("model") if isinstance(data, dict) else None
        if who is not None and isinstance(model, str) and 0 < len(model) <= 256:
            await realtime.sessions.used(sid, model)

    @sio.on("events:chat")
    async def chat_event(sid: str, data: Any = None) -> None:
        who = await realtime.sessions.get(sid)
        if who is None or not isinstance(data, dict):
            return
        chat_id, inner = data.get("chat_id"), data.get("data")
        if not isinstance(chat_id, str) or not isinstance(inner, dict):
            return
        if inner.get("type") != "last_read_at":
            return
        async with container.sessionmaker() as session:
            user = await session.get(User, who["id"])
            if user is None:
                return
            config = await container.config.fresh()
            try:
                state = await activity.mark_read(ChatService(session, container, config), user,
                                                 chat_id)  # fmt: skip
            except AppError:
                return  # not the user's chat: nothing to say
            await session.commit()
        await realtime.emit_chat(who["id"], chat_id, None, "chat:list", state)

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        await realtime.sessions.remove(sid)
