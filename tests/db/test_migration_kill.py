"""PostgreSQL: a real `owlet migrate` killed half-way leaves the database at the revision it
started from and the next run completes it; one that fails half-way says why and exits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import owlet
from owlet.db import migrate as migrate_module
from owlet.db.engine import create_engine
from owlet.db.migrate import HEAD_REVISION, MigrationError, alembic_config, current_revision
from owlet.settings import Settings
from tests.support import IN_CI, create_pg_database, drop_pg_database, postgres_admin_url

START = "0006"  # 0007 (OAuth tables) runs, then 0008 waits on the lock held on `knowledge`
LATER_TABLES = {"oauth_state", "oauth_identity", "knowledge_batch"}  # made by 0007 and 0008
SRC = str(Path(owlet.__file__).resolve().parents[1])  # this checkout's code, in the child too


@pytest_asyncio.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """A database of this test's own (not the shared `backend` one), migrated to START."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        message = "PostgreSQL is not configured: set TEST_DATABASE_URL"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: tests must not skip)")
        pytest.skip(message)
    url = await create_pg_database(admin_url, f"_mig_{uuid.uuid4().hex[:8]}")
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to, START)
        yield engine
    finally:
        await engine.dispose()
        await drop_pg_database(admin_url, url)


def _upgrade_to(sync_conn: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(sync_conn), revision)


def _migrate(engine: AsyncEngine, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
    url = engine.url.set(drivername="postgresql")  # the form a deployment sets
    env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    env["DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "owlet", "migrate"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


async def _tables(conn: AsyncConnection) -> set[str]:
    rows = await conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return {str(name) for (name,) in rows}


async def _scalar(engine: AsyncEngine, sql: str, **params: object) -> object:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def _locks(engine: AsyncEngine, pid: int, where: str) -> object:
    return await _scalar(engine, f"SELECT count(*) FROM pg_locks WHERE pid = :p AND {where}", p=pid)


async def _backend_in_0008(engine: AsyncEngine, seconds: float) -> int:
    """The server pid of the migration once 0008's CREATE TABLE waits for a lock."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid = await _scalar(
            engine,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            " AND query LIKE '%CREATE TABLE knowledge_batch%'",
        )
        if isinstance(pid, int):
            return pid
        await asyncio.sleep(0.1)
    raise AssertionError("the migration never reached 0008")


async def _gone(engine: AsyncEngine, pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await _scalar(engine, "SELECT count(*) FROM pg_stat_activity WHERE pid = :p", p=pid):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_migration_killed_half_way_is_rolled_back_and_completes_next_time(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.connect() as holder:
        await holder.exec_driver_sql("LOCK TABLE knowledge IN ACCESS EXCLUSIVE MODE")
        proc = _migrate(engine, tmp_path / "data")
        try:
            pid = await _backend_in_0008(engine, 60)
            # Blocked on `knowledge` (well inside its 120 s lock_timeout), holding 0007's
            # uncommitted stamp; another connection sees neither that stamp nor 0007's tables.
            assert await _locks(engine, pid, "NOT granted AND relation = 'knowledge'::regclass")
            stamp = "relation = 'alembic_version'::regclass AND mode = 'RowExclusiveLock'"
            assert await _locks(engine, pid, f"granted AND {stamp}")
            assert await current_revision(engine) == START
            async with engine.connect() as conn:
                assert not LATER_TABLES & await _tables(conn)
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)
            assert proc.returncode == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        await holder.rollback()
    # Its server session ends once it finds its client gone; only then has the run truly ended.
    assert await _gone(engine, pid, 10), "the killed migration's session stayed"
    assert await current_revision(engine) == START
    async with engine.connect() as conn:
        tables = await _tables(conn)
    assert "knowledge" in tables
    assert not LATER_TABLES & tables  # 0007 ran before the kill, and none of it stayed
    advisory = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database ="
    advisory += " (SELECT oid FROM pg_database WHERE datname = current_database())"
    assert not await _scalar(engine, advisory)  # the killed run's lock went with its session
    # The next start migrates to the head.
    again = _migrate(engine, tmp_path / "data")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output.decode()
    assert await current_revision(engine) == HEAD_REVISION
    async with engine.connect() as conn:
        assert LATER_TABLES <= await _tables(conn)


async def test_a_migration_failing_half_way_says_why_and_the_next_run_completes(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    # A table in the way of 0007's second table: 0007 fails after creating oauth_state.
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE oauth_identity (x INTEGER)")
    proc = _migrate(engine, tmp_path / "data")
    output = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 1, output
    assert "owlet: database migration failed: ProgrammingError" in output
    assert 'relation "oauth_identity" already exists' in output  # the cause, not a later one
    assert "Traceback" not in output
    assert await current_revision(engine) == START
    async with engine.begin() as conn:
        assert "oauth_state" not in await _tables(conn)
        await conn.exec_driver_sql("DROP TABLE oauth_identity")
    again = _migrate(engine, tmp_path / "data")
    output = again.communicate(timeout=120)[0].decode()
    assert again.returncode == 0, output
    assert await current_revision(engine) == HEAD_REVISION


async def test_a_migration_lock_held_too_long_is_refused_clearly(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process's migration holds the advisory lock: this start waits, then gives up
    # with a message saying so (after LOCK_TIMEOUT_SECONDS, shortened here from 120 s).
    monkeypatch.setattr(migrate_module, "LOCK_TIMEOUT_SECONDS", 1)
    async with engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": migrate_module.PG_LOCK_KEY})
        with pytest.raises(MigrationError, match="another owlet process has held the migration"):
            await migrate_module.migrate(engine)
        await holder.execute(
            text("SELECT pg_advisory_unlock(:k)"), {"k": migrate_module.PG_LOCK_KEY}
        )
        await holder.commit()
    assert await current_revision(engine) == START
    await migrate_module.migrate(engine)
    assert await current_revision(engine) == HEAD_REVISION
