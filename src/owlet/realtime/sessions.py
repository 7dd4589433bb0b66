"""Who is behind each socket (`sid` → user) and which models are in use, kept in process
memory, or in Redis hashes when `REDIS_URL` is set so every worker sees every socket."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

USAGE_TTL = 3.0  # seconds a `usage` report keeps a model "in use"


class SessionPool:
    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self._redis = redis
        self._key = f"{prefix}:session_pool"
        self._usage_key = f"{prefix}:usage_pool"
        self._local: dict[str, dict[str, Any]] = {}
        self._usage: dict[str, dict[str, float]] = {}

    async def put(self, sid: str, user: dict[str, Any]) -> None:
        if self._redis is None:
            self._local[sid] = user
        else:
            await self._redis.hset(self._key, sid, json.dumps(user))

    async def get(self, sid: str) -> dict[str, Any] | None:
        if self._redis is None:
            return self._local.get(sid)
        raw = await self._redis.hget(self._key, sid)
        return json.loads(raw) if raw else None

    async def remove(self, sid: str) -> None:
        if self._redis is None:
            self._local.pop(sid, None)
            for sids in self._usage.values():
                sids.pop(sid, None)
        else:
            await self._redis.hdel(self._key, sid)

    async def count(self) -> int:
        if self._redis is None:
            return len(self._local)
        return int(await self._redis.hlen(self._key))

    async def used(self, sid: str, model: str) -> None:
        stamp = time.time()
        if self._redis is None:
            self._usage.setdefault(model, {})[sid] = stamp
        else:
            await self._redis.hset(self._usage_key, f"{model}\x00{sid}", str(stamp))

    async def models_in_use(self) -> list[str]:
        horizon = time.time() - USAGE_TTL
        if self._redis is None:
            for model, sids in list(self._usage.items()):
                for sid, stamp in list(sids.items()):
                    if stamp < horizon:
                        del sids[sid]
                if not sids:
                    del self._usage[model]
            return sorted(self._usage)
        entries = {str(k): str(v) for k, v in (await self._redis.hgetall(self._usage_key)).items()}
        stale = [k for k, v in entries.items() if float(v) < horizon]
        if stale:
            await self._redis.hdel(self._usage_key, *stale)
        return sorted({k.split("\x00", 1)[0] for k, v in entries.items() if float(v) >= horizon})
