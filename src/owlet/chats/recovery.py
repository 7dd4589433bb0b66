"""Recorded answers a stopped server left "being answered" are closed after a restart.

A recorded stream saves its answer at least every `SAVE_EVERY` seconds while frames arrive,
and an upstream silent for longer than `AIOHTTP_CLIENT_TIMEOUT` fails the stream; so an
answer still `done: false` whose row was last written more than that lease ago has no live
writer, whichever worker or host wrote it. Such answers keep their last checkpoint, become
`done: true` and get an `error` saying they were cut off (docs/durability.md).

The sweep runs in the background after start-up (it never delays it): once at once, and once
more when the lease has passed, for answers that were still live when the server stopped.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from owlet.chats import repository as repo
from owlet.chats.recorder import SAVE_EVERY
from owlet.core.clock import now
from owlet.core.leases import sweep_twice

log = logging.getLogger(__name__)

INTERRUPTED = "The server stopped before this answer was finished."
NO_TIMEOUT_LEASE = 300.0  # seconds, when completions have no read timeout


def lease(completion_timeout: float | None) -> float:
    """Seconds after its last save beyond which an open answer has no live writer."""
    read = NO_TIMEOUT_LEASE if completion_timeout is None else completion_timeout
    return read + 2 * SAVE_EVERY


async def close_interrupted(sessionmaker: async_sessionmaker[Any], before: int) -> int:
    """Close every open answer last written before `before`; how many were closed."""
    closed = 0
    while True:
        async with sessionmaker() as session:
            rows = await repo.open_answers(session, before)
            stamp = now()
            for row in rows:
                data = {**row.data, "done": True}
                data.setdefault("error", {"content": INTERRUPTED})
                row.data = data
                row.updated_at = stamp
            await session.commit()
        closed += len(rows)
        if len(rows) < 500:
            break
    if closed:
        log.info("closed %d answer(s) a stopped server left unfinished", closed)
    return closed


async def sweep(sessionmaker: async_sessionmaker[Any], completion_timeout: float | None) -> None:
    """The start-up sweep and the one after the lease (see the module docstring)."""
    await sweep_twice(
        "closing interrupted answers",
        lease(completion_timeout),
        lambda before: close_interrupted(sessionmaker, before),
    )
