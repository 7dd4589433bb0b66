"""Stop work nobody waits for: a non-streamed answer whose client has hung up.

Uvicorn does not cancel a handler when its client goes away; a streamed response notices
on its next write, a whole one never does. `unless_gone` runs the work beside a wait for the
ASGI `http.disconnect` message and cancels the work if that comes first — so a local model
stops generating (and an upstream request is dropped) for a client that left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

T = TypeVar("T")
CLIENT_GONE = 499  # the status logged for an answer nobody was left to receive (nginx's)


class ClientGone(Exception):
    """The client disconnected before the answer was ready."""


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass  # the body was read already: only a disconnect (or the end) comes now


async def unless_gone(request: Request, work: Awaitable[T]) -> T:
    """The work's result; ClientGone (and the work cancelled) if the client leaves first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        watcher.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)  # let it unwind
    raise ClientGone()
