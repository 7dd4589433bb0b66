"""A worker thread of one's own for a stream's sync filter calls.

A `stream` filter runs once per chunk, so handing each call to a thread pool (with its
limiter and cancel scope) costs more than the chunk is worth. A lane is a single thread,
started on first use, that runs calls in order from a queue and hands each result back to
the event loop; it ends itself after `IDLE_SECONDS` without work. A call that outlives its
time limit leaves its thread behind (Python cannot stop a thread) and the lane starts a
fresh one for the next call.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

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
