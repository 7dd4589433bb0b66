"""Sign-in rate limit per lower-cased email: a moving window, in Redis when configured."""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


class SigninRateLimiter:
    """Every attempt counts, successful or not (as in Open WebUI)."""

    def __init__(self, limit: int, window_seconds: int, storage: Storage) -> None:
        self._item = RateLimitItemPerSecond(limit, window_seconds)
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def create(
        cls, limit: int, window_seconds: int, redis_url: str | None, prefix: str
    ) -> SigninRateLimiter:
        storage: Storage
        if redis_url:
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=f"{prefix}:ratelimit",
            )
        else:
            storage = MemoryStorage()
        return cls(limit, window_seconds, storage)

    async def hit(self, email: str) -> bool:
        """Record one attempt; False when it is over the limit."""
        return await self._limiter.hit(self._item, "signin", email.strip().lower())
