"""Running a short unit of work again when it lost a race for the write lock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds to wait before each further attempt. Each attempt already waits up to SQLite's
# busy_timeout (or PostgreSQL's lock_timeout) for the lock, so this rides out a burst of
# writers of half a minute or more.
BACKOFF = (0.2, 0.5, 1.0, 2.0)


# PostgreSQL's SQLSTATEs for losing a race for a lock: a deadlock (one side is aborted), a
# serialization failure and a lock_timeout expiring.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked"/"busy", or a PostgreSQL deadlock or lock timeout:
    contention, not a fault, so the same work may succeed when tried again."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    return "locked" in text or "busy" in text or "lock timeout" in text


async def retry_busy(
    work: Callable[[], Awaitable[T]], what: str, backoff: tuple[float, ...] | None = None
) -> T:
    """`work()` (which opens and commits its own session), tried again after each delay in
    `backoff` (default `BACKOFF`) while it fails only because the database was busy."""
    for delay in BACKOFF if backoff is None else backoff:
        try:
            return await work()
        except DBAPIError as exc:
            if not is_busy(exc):
                raise
            log.warning("database busy while %s; trying again in %.1f s", what, delay)
        await asyncio.sleep(delay)
    return await work()
