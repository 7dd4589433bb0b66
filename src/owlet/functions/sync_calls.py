"""Where sync plugin code runs: in a worker thread, or — for a `stream` filter that has shown
itself quick — on the event loop, under a SIGALRM time limit.

A stream filter is called once per chunk, and a thread hop costs 50–250 µs on a small
machine against a few µs for the call itself. So `run_sync(..., may_inline=True)` times the
first calls of a function in the thread pool; after `PROMOTE_AFTER` calls in a row under
`INLINE_BUDGET` the function runs on the loop from then on, each call bounded by SIGALRM
(the loop runs on the main thread), and one call there over `INLINE_LIMIT` sends the function
back to threads for good. `inlet`/`outlet` (once per request, and where plugins do their I/O)
always run in threads.
"""

from __future__ import annotations

import functools
import signal
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread

INLINE_BUDGET = 0.001  # seconds: a call this quick counts towards moving to the loop
PROMOTE_AFTER = 8  # quick calls in a row before a function runs on the loop
# One call holding the loop this long (more than a GIL switch interval or a GC pause would
# explain) sends the function back to threads.
INLINE_LIMIT = 0.02
REPEAT_SECONDS = 0.05  # after the limit, the alarm repeats until the plugin lets go
_quick: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()  # quick calls; -1: slow
_armed = False  # the handler raises only while a plugin call is under way
_alarm_owned = False  # whether SIGALRM's handler is ours (set once, on the main thread)


class Overtime(BaseException):
    """Raised into sync plugin code on the event loop's thread when its time is up (a
    BaseException, so a plugin's `except Exception` does not swallow it; one that swallows
    even that gets it again every `REPEAT_SECONDS`)."""


def _on_alarm(signum: int, frame: Any) -> None:
    if _armed:
        raise Overtime()


def _alarm_ready() -> bool:
    """Whether SIGALRM can bound a call made on this thread (the main thread only)."""
    global _alarm_owned
    if threading.current_thread() is not threading.main_thread():
        return False
    if not _alarm_owned:
        if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None, _on_alarm):
            return False  # someone else's alarm: leave it alone
        signal.signal(signal.SIGALRM, _on_alarm)
        _alarm_owned = True
    return True


def _inline(fn: Callable[[Any], Any], arg: Any, limit: float) -> tuple[Any, bool]:
    """(result, in time) of `fn(arg)` on this thread, stopped by SIGALRM after `limit`."""
    global _armed
    timed_out = False
    result = None
    try:
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, limit, REPEAT_SECONDS)
        try:
            result = fn(arg)
        finally:
            _armed = False
    except Overtime:
        _armed = False
        timed_out = True
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
    return result, not timed_out


async def run_sync(
    fn: Callable[[Any], Any], arg: Any, limit: float, may_inline: bool = False
) -> Any:
    """`fn(arg)` off the event loop (or on it, see above); TimeoutError after `limit`."""
    key = function_of(fn)
    quick = _quick.get(key, 0)
    if may_inline and quick >= PROMOTE_AFTER and _alarm_ready():
        started = time.perf_counter()
        try:
            result, in_time = _inline(fn, arg, limit)
        except Overtime:  # the alarm as the call returned: treat it as a timeout
            in_time, result = False, None
        if not in_time:
            _quick[key] = -1
            raise TimeoutError()
        if time.perf_counter() - started > INLINE_LIMIT:
            _quick[key] = -1
        return result
    with anyio.fail_after(limit):
        result, took = await anyio.to_thread.run_sync(_timed(fn), arg, abandon_on_cancel=True)
    if may_inline and quick >= 0:
        _quick[key] = quick + 1 if took <= INLINE_BUDGET else -1
    return result


def function_of(fn: Any) -> Any:
    """The plain function behind a partial or a bound method (what `_quick` is keyed by)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return getattr(fn, "__func__", fn)


def _timed(fn: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, float]]:
    def run(arg: Any) -> tuple[Any, float]:
        started = time.perf_counter()
        return fn(arg), time.perf_counter() - started

    return run
