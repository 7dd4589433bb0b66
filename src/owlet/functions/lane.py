"""Where sync plugin code runs: a worker thread (a stream's own lane, or the pool), or the
event loop once it has shown itself quick (`run_sync`).

A `stream` filter runs once per chunk, so handing each call to a thread pool (with its
limiter and cancel scope) costs more than the chunk is worth. A lane is a single thread,
started on first use, that runs calls in order from a queue and hands each result back to
the event loop; it ends itself after `IDLE_SECONDS` without work. A call that outlives its
time limit leaves its thread behind (Python cannot stop a thread) and the lane starts a
fresh one for the next call.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import signal
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread

IDLE_SECONDS = 5.0


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # timed out or cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class Lane:
    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._running = False

    async def run(self, fn: Callable[[Any], Any], arg: Any, limit: float) -> Any:
        """`fn(arg)` on the lane's thread; TimeoutError after `limit` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._jobs.put((loop, future, fn, arg))
            if not self._running:
                self._running = True
                jobs = self._jobs
                threading.Thread(
                    target=self._work, args=(jobs,), name=self._name, daemon=True
                ).start()
        timer = loop.call_later(limit, _expire, future)
        try:
            return await future
        except TimeoutError:
            with self._lock:  # the thread is stuck in `fn`: later calls get a new one
                self._jobs, self._running = queue.SimpleQueue(), False
            raise
        finally:
            timer.cancel()

    def _work(self, jobs: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        while True:
            try:
                loop, future, fn, arg = jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if jobs.empty():
                        if self._jobs is jobs:
                            self._running = False
                        return
                continue
            try:
                result, error = fn(arg), None
            except BaseException as exc:  # handed to the awaiting side
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop has closed
                return


INLINE_BUDGET = 0.001  # seconds: a sync `stream` call this quick may move to the event loop
# ... and goes back to its thread when one call holds the loop this long (more than a GIL
# switch interval or a GC pause would explain)
INLINE_LIMIT = 0.02
_quick: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


class Overtime(BaseException):
    """Raised into sync plugin code on the event loop's thread when its time is up (a
    BaseException, so a plugin's `except Exception` does not swallow it)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Overtime()


_alarm_owned = False  # whether SIGALRM's handler is ours (set once, on the main thread)


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


async def run_sync(
    fn: Callable[[Any], Any], arg: Any, limit: float, lane: Lane | None = None
) -> Any:
    """`fn(arg)` for sync plugin code: in a worker thread (the given lane, else the thread
    pool) until the function has shown itself quick (a call timed there under
    `INLINE_BUDGET`), then on the event loop, bounded by SIGALRM; a call there over
    `INLINE_LIMIT` sends the function back to threads for good. A thread hop costs 50-250 µs
    on a small machine; a quick filter on the loop costs a few. TimeoutError after `limit`."""
    key = function_of(fn)
    if _quick.get(key) and _alarm_ready():
        started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            result = fn(arg)
        except Overtime:
            _quick[key] = False
            raise TimeoutError() from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if time.perf_counter() - started > INLINE_LIMIT:
            _quick[key] = False
        return result
    if lane is not None:
        result, took = await lane.run(_timed(fn), arg, limit)
    else:
        with anyio.fail_after(limit):
            result, took = await anyio.to_thread.run_sync(_timed(fn), arg, abandon_on_cancel=True)
    if key not in _quick:
        _quick[key] = took <= INLINE_BUDGET
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
