"""Answers whose outlet filters already ran inline (see functions/outlets.py), so that
`POST /api/chat/completed` for the same message does not run them again."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

MARK_SECONDS = 3600  # how long /api/chat/completed remembers an answer's outlets ran
MEMORY_MARKS = 50_000  # the most marks one process keeps without Redis


class OutletMarks:
    """Which answers already had their outlets run: in Redis when configured (every worker
    sees it), else in this process (a bounded map, oldest dropped first)."""

    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:outlet-ran:"
        self._memory: OrderedDict[str, float] = OrderedDict()

    async def mark(self, user_id: str, keys: Iterable[str]) -> None:
        names = [self._name(user_id, key) for key in keys]
        if self._redis is not None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.set(name, b"1", ex=MARK_SECONDS)
                await pipe.execute()
            return
        until = time.monotonic() + MARK_SECONDS
        for name in names:
            self._memory[name] = until
            self._memory.move_to_end(name)
        while len(self._memory) > MEMORY_MARKS:
            self._memory.popitem(last=False)

    async def seen(self, user_id: str, keys: Iterable[str]) -> bool:
        names = [self._name(user_id, key) for key in keys]
        if not names:
            return False
        if self._redis is not None:
            return bool(await self._redis.exists(*names))
        clock = time.monotonic()
        return any(self._memory.get(name, 0.0) > clock for name in names)

    def _name(self, user_id: str, key: str) -> str:
        return self._prefix + hashlib.sha256(f"{user_id}\0{key}".encode()).hexdigest()


def answer_keys(message_id: Any, texts: Iterable[Any]) -> list[str]:
    """What identifies an answer: its message id, and each non-empty text it had."""
    keys = [f"id:{message_id}"] if isinstance(message_id, str) and message_id else []
    keys += [f"text:{text}" for text in texts if isinstance(text, str) and text]
    return keys


def last_assistant(body: dict[str, Any]) -> dict[str, Any] | None:
    messages = body.get("messages")
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return message
    return None
