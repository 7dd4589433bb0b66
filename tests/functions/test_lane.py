"""The stream filters' worker thread: results in order, a time limit, a fresh thread after
a call that hangs."""

from __future__ import annotations

import threading
import time

import pytest

from owlet.functions.lane import Lane


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
