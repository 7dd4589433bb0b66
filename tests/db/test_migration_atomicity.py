"""A migration that stops half-way leaves no trace: the next start migrates from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock
from sqlalchemy.ext.asyncio import AsyncEngine

from owlet.db import migrate as migrate_module
from owlet.db.engine import create_engine
from owlet.db.migrate import HEAD_REVISION, MigrationError, current_revision, migrate
from owlet.settings import Settings


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(name) for (name,) in rows}


async def test_a_migration_failing_half_way_on_sqlite_is_rolled_back(tmp_path: Path) -> None:
    engine = create_engine(Settings(database_url=f"sqlite:///{tmp_path / 'webui.db'}"))
    try:
        # A table in the way of the first migration's fourth table: it fails after three
        # tables were created (the stand-in for a process killed there).
        async with engine.begin() as conn:
            await conn.exec_driver_sql('CREATE TABLE "user" (x INTEGER)')
        with pytest.raises(MigrationError):
            await migrate(engine)
        assert await _tables(engine) == {"user"}  # none of the first three tables stayed
        assert await current_revision(engine) is None
        async with engine.begin() as conn:
            await conn.exec_driver_sql('DROP TABLE "user"')
        await migrate(engine)  # the next start completes
        assert await current_revision(engine) == HEAD_REVISION
        assert {"config", "group", "revoked_token", "user", "chat"} <= await _tables(engine)
        # The pooled connection the migration used is back to normal transactions.
        async with engine.connect() as conn:
            insert = "INSERT INTO config (key, value, updated_at) VALUES ('probe', '{}', 0)"
            await conn.exec_driver_sql(insert)
            await conn.rollback()
            count = await conn.exec_driver_sql("SELECT count(*) FROM config WHERE key = 'probe'")
            assert count.scalar() == 0
    finally:
        await engine.dispose()


async def test_a_migration_lock_held_too_long_on_sqlite_is_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process's migration holds the lock file: this start gives up with a message
    # saying so after LOCK_TIMEOUT_SECONDS (shortened here from 120 s), having changed nothing.
    monkeypatch.setattr(migrate_module, "LOCK_TIMEOUT_SECONDS", 1)
    database = tmp_path / "webui.db"
    engine = create_engine(Settings(database_url=f"sqlite:///{database}"))
    other = FileLock(f"{database}.migrate.lock", thread_local=False)
    try:
        with other:
            with pytest.raises(MigrationError, match="another owlet process has held"):
                await migrate(engine)
        assert await current_revision(engine) is None
        await migrate(engine)  # once it is free, the next start migrates
        assert await current_revision(engine) == HEAD_REVISION
    finally:
        await engine.dispose()
