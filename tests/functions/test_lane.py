"""The stream filters' worker thread: results in order, a time limit, a fresh thread after
a call that hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from owlet.functions.lane import Lane, run_sync


async def test_calls_run_in_order_on_one_thread_off_the_loop() -> None:
    lane = Lane("test-lane")
    seen: list[tuple[int, str]] = []

    def record(n: int) -> int:
        seen.append((n, threading.current_thread().name))
        return n * 2

    assert [await lane.run(record, n, 5.0) for n in range(5)] == [0, 2, 4, 6, 8]
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert {name for _, name in seen} == {"test-lane"}
    assert threading.current_thread().name != "test-lane"


async def test_errors_reach_the_caller() -> None:
    def fail(_: object) -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        await Lane("test-lane").run(fail, None, 5.0)


async def test_a_call_that_hangs_times_out_and_the_next_gets_a_new_thread() -> None:
    lane = Lane("test-lane")
    release = threading.Event()
    with pytest.raises(TimeoutError):
        await lane.run(lambda _: release.wait(10), None, 0.2)
    started = time.monotonic()
    assert await lane.run(lambda n: n + 1, 1, 5.0) == 2  # not queued behind the stuck call
    assert time.monotonic() - started < 5
    release.set()


def _make_spy() -> tuple[list[str], Callable[[float], float]]:
    """A fresh function (run_sync learns per function) that records where it ran."""
    where: list[str] = []

    def spy(seconds: float) -> float:
        where.append(threading.current_thread().name)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # pure Python: only a signal can stop it
            pass
        return seconds

    return where, spy


async def test_quick_sync_code_moves_to_the_loop_and_a_hang_is_stopped() -> None:
    where, spy = _make_spy()
    main = threading.main_thread().name
    assert await run_sync(spy, 0.0, 5.0) == 0.0
    assert where[-1] != main  # the first call is timed on a worker thread
    await run_sync(spy, 0.0, 5.0)
    assert where[-1] == main  # quick: it runs on the loop now
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await run_sync(spy, 60.0, 0.3)  # hangs on the loop: the alarm stops it
    assert time.monotonic() - started < 30
    await run_sync(spy, 0.0, 5.0)
    assert where[-1] != main  # and it is back on threads for good


async def test_slow_sync_code_stays_off_the_loop() -> None:
    where, spy = _make_spy()
    for _ in range(3):
        await run_sync(spy, 0.01, 5.0)
    assert threading.main_thread().name not in where
