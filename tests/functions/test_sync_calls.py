"""Sync plugin code: in worker threads, and a quick `stream` filter on the event loop under
a SIGALRM limit that stops a hang (and keeps stopping a plugin that swallows it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from owlet.functions import sync_calls
from owlet.functions.sync_calls import PROMOTE_AFTER, run_sync


def _make_spy() -> tuple[list[str], Callable[[float], float]]:
    """A fresh function (run_sync learns per function) that records where it ran and spins
    in pure Python for the given seconds (only a signal can stop it)."""
    where: list[str] = []

    def spy(seconds: float) -> float:
        where.append(threading.current_thread().name)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pass
        return seconds

    return where, spy


async def test_quick_code_moves_to_the_loop_and_a_hang_is_stopped() -> None:
    where, spy = _make_spy()
    main = threading.main_thread().name
    for _ in range(PROMOTE_AFTER):
        await run_sync(spy, 0.0, 5.0, may_inline=True)
    assert main not in where  # timed on worker threads first
    await run_sync(spy, 0.0, 5.0, may_inline=True)
    assert where[-1] == main  # quick: it runs on the loop now
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await run_sync(spy, 60.0, 0.3, may_inline=True)  # hangs on the loop: the alarm stops it
    assert time.monotonic() - started < 30
    await run_sync(spy, 0.0, 5.0, may_inline=True)
    assert where[-1] != main  # and it is back on threads for good
    assert not sync_calls._armed


async def test_inlet_and_outlet_code_never_runs_on_the_loop() -> None:
    where, spy = _make_spy()
    for _ in range(PROMOTE_AFTER + 3):
        await run_sync(spy, 0.0, 5.0)
    assert threading.main_thread().name not in where


async def test_slow_code_stays_off_the_loop() -> None:
    where, spy = _make_spy()
    for _ in range(3):
        await run_sync(spy, 0.01, 5.0, may_inline=True)
    await run_sync(spy, 0.0, 5.0, may_inline=True)
    assert threading.main_thread().name not in where


async def test_errors_and_thread_timeouts_reach_the_caller() -> None:
    def fail(_: object) -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        await run_sync(fail, None, 5.0)
    release = threading.Event()
    with pytest.raises(TimeoutError):
        await run_sync(lambda _: release.wait(10), None, 0.2)
    release.set()


async def test_a_plugin_that_swallows_the_first_alarm_gets_another() -> None:
    where, spy = _make_spy()
    calls = {"n": 0}

    def careless(seconds: float) -> float:
        calls["n"] += 1
        if seconds:
            try:
                spy(seconds)
            except BaseException:  # noqa: S110 (what a careless plugin does)
                pass
            spy(seconds)  # still stuck: the repeated alarm stops this too
        return seconds

    for _ in range(PROMOTE_AFTER + 1):
        await run_sync(careless, 0.0, 5.0, may_inline=True)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await run_sync(careless, 60.0, 0.2, may_inline=True)
    assert time.monotonic() - started < 30
