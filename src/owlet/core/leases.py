"""Start-up sweeps of work a stopped server left half-done, safe beside live workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from owlet.core.clock import now

log = logging.getLogger(__name__)


async def sweep_twice(what: str, lease: float, sweep: Callable[[int], Awaitable[int]]) -> None:
    """`sweep(before)` for work last touched before `before`: at once for what is older than
    `lease` (no live writer, whichever worker or host), then once the lease has passed for
    the rest of what was there at start-up. Runs in the background; failures are logged."""
    started = now()
    try:
        await sweep(int(started - lease))
        await asyncio.sleep(lease + 1)
        await sweep(started)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s failed", what)
