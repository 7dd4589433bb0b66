"""retry_busy against a real SQLite write lock held by another connection."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from owlet.db.engine import create_engine
from owlet.db.retry import is_busy, retry_busy
from owlet.settings import Settings


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(database_url=f"sqlite:///{tmp_path / 'webui.db'}"))

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=20")  # after the engine's own 5 s: fail fast
        cursor.close()

    event.listen(engine.sync_engine, "connect", short_wait)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    try:
        yield engine
    finally:
        await engine.dispose()


def _holder(engine: AsyncEngine) -> sqlite3.Connection:
    """Another connection to the same file, holding the write lock."""
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (0)")
    return holder


async def _insert(engine: AsyncEngine, attempts: list[int], value: int) -> int:
    attempts.append(value)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
    return value


async def test_a_unit_of_work_that_lost_the_lock_succeeds_once_it_is_free(
    engine: AsyncEngine,
) -> None:
    holder = _holder(engine)
    asyncio.get_running_loop().call_later(0.3, holder.commit)
    attempts: list[int] = []
    assert await retry_busy(lambda: _insert(engine, attempts, 1), "inserting") == 1
    assert len(attempts) >= 2  # it did meet the lock
    holder.close()
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 2


async def test_a_lock_held_throughout_is_refused_after_every_delay(engine: AsyncEngine) -> None:
    holder = _holder(engine)
    attempts: list[int] = []
    with pytest.raises(OperationalError) as caught:
        await retry_busy(lambda: _insert(engine, attempts, 1), "inserting", (0.01, 0.01))
    assert is_busy(caught.value) and len(attempts) == 3
    holder.rollback()
    holder.close()


async def test_other_database_errors_are_not_tried_again(engine: AsyncEngine) -> None:
    calls: list[int] = []

    async def broken() -> None:
        calls.append(1)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO missing VALUES (1)")

    with pytest.raises(OperationalError) as caught:
        await retry_busy(broken, "inserting")
    assert not is_busy(caught.value) and calls == [1]
