"""Run Alembic migrations to head under a cross-process lock."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PG_LOCK_KEY = 0x0E1E7  # arbitrary constant shared by every owlet process
LOCK_TIMEOUT_SECONDS = 120


class MigrationError(RuntimeError):
    """The schema could not be brought to head; the server must not start."""


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade to head. Safe to call from many processes at once; raises MigrationError."""
    try:
        if engine.dialect.name == "sqlite":
            await _migrate_sqlite(engine)
        else:
            await _migrate_locked(engine)
    except MigrationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here must stop start-up, clearly
        raise MigrationError(f"database migration failed: {type(exc).__name__}: {exc}") from exc


async def _migrate_sqlite(engine: AsyncEngine) -> None:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        async with engine.connect() as conn:
            await _upgrade(conn)
        return
    lock = FileLock(f"{database}.migrate.lock", thread_local=False)
    await asyncio.to_thread(lock.acquire, timeout=LOCK_TIMEOUT_SECONDS)
    try:
        async with engine.connect() as conn:
            await _upgrade(conn)
    finally:
        lock.release()


async def _migrate_locked(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'"))
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        try:
            await _upgrade(conn)
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            await conn.commit()


async def _upgrade(conn: AsyncConnection) -> None:
    def run(sync_conn: Connection) -> None:
        current = MigrationContext.configure(sync_conn).get_current_revision()
        if current == head_revision():
            return
        log.info("migrating database from %s to %s", current, head_revision())
        command.upgrade(alembic_config(sync_conn), "head")

    await conn.run_sync(run)
    await conn.commit()
