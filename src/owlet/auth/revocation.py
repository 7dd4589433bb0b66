"""Revoked JWT ids: in Redis when configured (shared by workers), else in the database."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth import repository

if TYPE_CHECKING:
    from redis.asyncio import Redis


class RevocationStore(Protocol):
    async def revoke(self, session: AsyncSession, jti: str, expires_at: int | None) -> None: ...

    async def is_revoked(self, session: AsyncSession, jti: str) -> bool: ...


class DatabaseRevocations:
    """Rows in `revoked_token`; expired rows are pruned as new ones are written."""

    async def revoke(self, session: AsyncSession, jti: str, expires_at: int | None) -> None:
        await repository.revoke_token(session, jti, expires_at)

    async def is_revoked(self, session: AsyncSession, jti: str) -> bool:
        return await repository.is_token_revoked(session, jti)


class RedisRevocations:
    """`{prefix}:auth:token:<jti>:revoked` with a TTL equal to the token's remaining life."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, jti: str) -> str:
        return f"{self._prefix}:auth:token:{jti}:revoked"

    async def revoke(self, session: AsyncSession, jti: str, expires_at: int | None) -> None:
        if expires_at is None:
            await self._redis.set(self._key(jti), "1")
            return
        ttl = expires_at - int(time.time())
        if ttl > 0:
            await self._redis.set(self._key(jti), "1", ex=ttl)

    async def is_revoked(self, session: AsyncSession, jti: str) -> bool:
        return bool(await self._redis.exists(self._key(jti)))
