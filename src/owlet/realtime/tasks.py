"""Chat generations the server runs on its own ("UI mode"), by task id and by chat.

A generation runs on the worker that started it. Without Redis the ids live in this
process. With Redis they are also kept in `{prefix}:tasks` (task id → `{chat_id, user_id}`),
so every worker lists every task, and a stop asked of any worker is published on
`{prefix}:tasks:stop`; the worker running the task cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

STOP_WAIT = 10.0  # seconds a stop waits for the generation to save what it had


@dataclass
class Running:
    task: asyncio.Task[None]
    chat_id: str
    user_id: str


class Tasks:
    def __init__(self, redis: Redis | None = None, prefix: str = "owlet") -> None:
        self._redis = redis
        self._key = f"{prefix}:tasks"
        self._channel = f"{prefix}:tasks:stop"
        self._running: dict[str, Running] = {}
        self._listener: asyncio.Task[None] | None = None

    async def start_listening(self) -> None:
        """With Redis: follow stop commands sent to any worker."""
        if self._redis is not None and self._listener is None:
            pubsub = self._redis.pubsub()
            await pubsub.subscribe(self._channel)
            self._listener = asyncio.create_task(self._listen(pubsub))

    async def _listen(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    await self._stop_here(str(message.get("data")))
        except asyncio.CancelledError:
            await pubsub.aclose()
            raise
        except Exception:  # the listener must not die silently: log, and stops stay local
            log.exception("the task stop listener failed")

    async def start(self, chat_id: str, user_id: str, work: Coroutine[Any, Any, None]) -> str:
        task_id = str(uuid.uuid4())
        if self._redis is not None:  # listed before it runs, so a stop can always find it
            entry = json.dumps({"chat_id": chat_id, "user_id": user_id})
            await self._redis.hset(self._key, task_id, entry)
        task = asyncio.create_task(self._run(task_id, work), name=f"chat-{chat_id}")
        self._running[task_id] = Running(task, chat_id, user_id)
        return task_id

    async def _run(self, task_id: str, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        finally:
            self._running.pop(task_id, None)
            if self._redis is not None:
                await self._redis.hdel(self._key, task_id)

    async def _all(self) -> dict[str, dict[str, str]]:
        if self._redis is None:
            return {t: {"chat_id": r.chat_id, "user_id": r.user_id}
                    for t, r in self._running.items()}  # fmt: skip
        raw = await self._redis.hgetall(self._key)
        return {str(k): json.loads(v) for k, v in raw.items()}

    async def ids(self) -> list[str]:
        return list(await self._all())

    async def of_chat(self, chat_id: str) -> list[str]:
        return [t for t, entry in (await self._all()).items() if entry.get("chat_id") == chat_id]

    async def owner(self, task_id: str) -> str | None:
        return (await self._all()).get(task_id, {}).get("user_id")

    async def stop(self, task_id: str) -> bool:
        """Cancel the generation wherever it runs and wait until it has saved what it had;
        False if no such task runs."""
        if task_id in self._running:
            return await self._stop_here(task_id)
        if self._redis is None or await self.owner(task_id) is None:
            return False
        await self._redis.publish(self._channel, task_id)
        for _ in range(int(STOP_WAIT / 0.05)):
            if not await self._redis.hexists(self._key, task_id):
                return True
            await asyncio.sleep(0.05)
        return False

    async def _stop_here(self, task_id: str) -> bool:
        run = self._running.get(task_id)
        if run is None:
            return False
        run.task.cancel()
        await asyncio.wait({run.task}, timeout=STOP_WAIT)
        return True

    async def close(self) -> None:
        tasks = [run.task for run in self._running.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_WAIT)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
