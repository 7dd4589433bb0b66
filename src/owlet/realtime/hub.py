"""The Socket.IO server and the one way events leave owlet (`Realtime.emit_chat`).

python-socketio's `AsyncServer` in ASGI mode at `/ws/socket.io` (Engine.IO 4). With Redis,
an `AsyncRedisManager` relays every emit to the sockets of all workers. The event handlers
(authentication, `user-join`, `heartbeat`, ...) are installed by `handlers.py` once the
Container exists; this module knows no domain.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import socketio

from owlet.realtime import guard
from owlet.realtime.sessions import SessionPool
from owlet.realtime.tasks import Tasks
from owlet.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

SOCKET_PATH = "/ws/socket.io"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


class Realtime:
    def __init__(self, settings: Settings, redis: Redis | None) -> None:
        manager = None
        if settings.redis_url:
            manager = socketio.AsyncRedisManager(
                settings.redis_url, channel=f"{settings.redis_key_prefix}:socket.io"
            )
        origins = settings.cors_origins
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins="*" if "*" in origins else origins,
            transports=["websocket", "polling"] if settings.enable_websocket_support
            else ["polling"],
            ping_interval=settings.websocket_server_ping_interval,
            ping_timeout=settings.websocket_server_ping_timeout,
            always_connect=True,
            # Payloads follow the HTTP body rules (guard.py). Engine.IO's own cap sits above,
            # so a payload just over the limit gets an answer instead of a dropped connection.
            serializer=guard.packet_class(settings.max_request_body_size),
            max_http_buffer_size=2 * settings.max_request_body_size,
            logger=False,
            engineio_logger=False,
        )  # fmt: skip
        guard.guard_engineio()
        guard.install(self.sio)
        self.asgi = socketio.ASGIApp(self.sio, socketio_path=SOCKET_PATH)
        self.sessions = SessionPool(redis, settings.redis_key_prefix)
        self.tasks = Tasks(redis, settings.redis_key_prefix)

    async def emit_chat(
        self, user_id: str, chat_id: str, message_id: str | None, kind: str, data: Any
    ) -> None:
        """One chat event to every socket of the user (reference §8.3's envelope)."""
        payload = {"chat_id": chat_id, "message_id": message_id,
                   "data": {"type": kind, "data": data}}  # fmt: skip
        await self.sio.emit("events", payload, room=user_room(user_id))

    async def start(self) -> None:
        await self.tasks.start_listening()

    async def close(self) -> None:
        await self.tasks.close()  # generations under way save what they have
        redis = getattr(self.sio.manager, "redis", None)  # AsyncRedisManager's connection
        if redis is not None:
            await redis.aclose()
