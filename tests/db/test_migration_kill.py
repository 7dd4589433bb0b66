"""PostgreSQL: a real `owlet migrate` killed with SIGKILL half-way through an upgrade leaves
the database at the revision it started from, and the next run completes it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from owlet.db.engine import create_engine
from owlet.db.migrate import HEAD_REVISION, alembic_config, current_revision
from owlet.settings import Settings
from tests.support import IN_CI, create_pg_database, drop_pg_database, postgres_admin_url

START = "0006"  # 0007 (OAuth tables) runs, then 0008 waits on the lock held on `knowledge`


@pytest_asyncio.fixture
async def database() -> AsyncIterator[str]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        message = "PostgreSQL is not configured: set TEST_DATABASE_URL"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: tests must not skip)")
        pytest.skip(message)
    url = await create_pg_database(admin_url)
    try:
        yield url
    finally:
        await drop_pg_database(admin_url, url)


def _migrate(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(data_dir)}
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "owlet", "migrate"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


async def _tables(conn: AsyncConnection) -> set[str]:
    rows = await conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return {str(name) for (name,) in rows}


async def _waiting_on_a_lock(engine: AsyncEngine, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            waiting = await conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if waiting.scalar():
                return True
        await asyncio.sleep(0.1)
    return False


async def test_a_migration_killed_half_way_is_rolled_back_and_completes_next_time(
    database: str, tmp_path: Path
) -> None:
    engine = create_engine(Settings(database_url=database))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: _upgrade_to(c, START))
        async with engine.connect() as holder:
            await holder.exec_driver_sql("LOCK TABLE knowledge IN ACCESS EXCLUSIVE MODE")
            proc = _migrate(database, tmp_path / "data")
            try:
                assert await _waiting_on_a_lock(engine, 60), "the migration never reached 0008"
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            finally:
                if proc.poll() is None:
                    proc.kill()
            await holder.rollback()
        # The kill rolled back everything the run did, 0007's tables included.
        assert await current_revision(engine) == START
        async with engine.connect() as conn:
            tables = await _tables(conn)
        assert "knowledge" in tables
        assert not {"oauth_state", "oauth_identity", "knowledge_batch"} & tables
        # The next start migrates to the head.
        again = _migrate(database, tmp_path / "data")
        output, _ = again.communicate(timeout=120)
        assert again.returncode == 0, output.decode()
        assert await current_revision(engine) == HEAD_REVISION
        async with engine.connect() as conn:
            assert {"oauth_state", "oauth_identity", "knowledge_batch"} <= await _tables(conn)
    finally:
        await engine.dispose()


def _upgrade_to(sync_conn: object, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(sync_conn), revision)  # type: ignore[arg-type]
