"""SQLite under concurrent writers: a read-then-write transaction never fails as "locked".

The driver opens a transaction only at its first write, so reads before it see the latest
commit and the write waits `busy_timeout` for the lock. A BEGIN at the transaction's start
(as the usual recipe for SQLAlchemy's SQLite savepoints has it) would make these fail at once
with "database is locked" (SQLITE_BUSY_SNAPSHOT: a stale snapshot cannot be upgraded).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from owlet.db.engine import create_engine, create_sessionmaker
from owlet.settings import Settings


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(database_url=f"sqlite:///{tmp_path / 'webui.db'}"))
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        await conn.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_write_after_a_read_survives_another_commit_in_between(
    engine: AsyncEngine,
) -> None:
    # With a BEGIN before the first SELECT, the first connection's snapshot would predate
    # the second's commit and its UPDATE could never succeed.
    async with engine.connect() as first, engine.connect() as second:
        assert (await first.exec_driver_sql("SELECT n FROM counter")).scalar() == 0
        await second.exec_driver_sql("UPDATE counter SET n = n + 1")
        await second.commit()
        await first.exec_driver_sql("UPDATE counter SET n = n + 10")
        await first.commit()
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT n FROM counter")).scalar() == 11


async def test_many_concurrent_read_then_write_sessions_all_commit(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)

    async def bump(i: int) -> None:
        async with sessions() as session:
            await session.execute(text("SELECT n FROM counter WHERE id = 1"))
            await asyncio.sleep(0.001 * (i % 5))  # interleave with the others' commits
            await session.execute(text(f"INSERT INTO counter (n) VALUES ({i})"))
            await session.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
            await session.commit()

    await asyncio.gather(*(bump(i) for i in range(40)))
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT n FROM counter WHERE id = 1")).scalar() == 40
        assert (await conn.exec_driver_sql("SELECT count(*) FROM counter")).scalar() == 41


async def test_reads_take_no_write_lock_and_a_rollback_undoes_the_writes(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as reader, engine.connect() as writer:
        await reader.exec_driver_sql("SELECT n FROM counter")  # still open: no lock held
        await writer.exec_driver_sql("UPDATE counter SET n = 5")
        await writer.exec_driver_sql("INSERT INTO counter VALUES (2, 7)")
        await writer.rollback()
        await writer.exec_driver_sql("UPDATE counter SET n = 3")  # a new transaction
        await writer.commit()
        await reader.commit()
    async with engine.connect() as conn:
        rows = (await conn.exec_driver_sql("SELECT id, n FROM counter")).all()
        assert [tuple(r) for r in rows] == [(1, 3)]


async def test_a_held_write_lock_is_waited_for_then_refused_as_operational_error(
    tmp_path: Path,
) -> None:
    engine = create_engine(Settings(database_url=f"sqlite:///{tmp_path / 'webui.db'}"))
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("PRAGMA busy_timeout=0")  # per connection; pool of one
            await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        async with engine.connect() as holder, engine.connect() as other:
            await holder.exec_driver_sql("INSERT INTO t VALUES (1)")  # holds the write lock
            await other.exec_driver_sql("PRAGMA busy_timeout=50")
            with pytest.raises(OperationalError, match="locked"):
                await other.exec_driver_sql("INSERT INTO t VALUES (2)")
            await other.rollback()
            await holder.commit()
            await other.exec_driver_sql("INSERT INTO t VALUES (3)")
            await other.commit()
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 2
    finally:
        await engine.dispose()
