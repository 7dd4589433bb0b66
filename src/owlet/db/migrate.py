"""Run Alembic migrations to head under a cross-process lock.

Alembic is imported only when the schema is behind: a server starting on an up-to-date
database checks one row and pays nothing else (about a fifth of a second at start-up).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PG_LOCK_KEY = 0x0E1E7  # arbitrary constant shared by every owlet process
LOCK_TIMEOUT_SECONDS = 120  # a start-up waiting longer for another one's migration gives up
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout expiring
# The newest revision in migrations/versions; tests/db check it matches Alembic's head.
HEAD_REVISION = "0009"


class MigrationError(RuntimeError):
    """The schema could not be brought to head; the server must not start."""


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


def alembic_head_revision() -> str | None:
    """What Alembic finds in migrations/versions (slow: imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The stamped revision, or None for an empty database."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return None  # no alembic_version table yet
    return str(rows[0][0]) if len(rows) == 1 else None


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade to head. Safe to call from many processes at once; raises MigrationError."""
    try:
        if await current_revision(engine) == HEAD_REVISION:
            return
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
    from filelock import FileLock, Timeout  # imported here: only a migration needs it

    path = f"{database}.migrate.lock"
    lock = FileLock(path, thread_local=False)
    try:
        await asyncio.to_thread(lock.acquire, timeout=LOCK_TIMEOUT_SECONDS)
    except Timeout:
        raise MigrationError(_held(path)) from None
    try:
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            driver.isolation_level = None  # type: ignore[union-attr]
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await _upgrade(conn)
            finally:
                driver.isolation_level = ""  # type: ignore[union-attr]  # pooled: as it was
    finally:
        lock.release()


# SQLite: the whole upgrade runs in one explicit transaction. Python's sqlite3 opens one only
# before INSERT/UPDATE/DELETE, so a migration's DDL before its first such statement would
# commit statement by statement: a process killed there leaves tables of a revision that was
# never stamped, and every later start fails on them. SQLite's DDL is transactional once a
# transaction is open; Alembic sees it begun and leaves it to `_upgrade`'s commit.


async def _migrate_locked(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'"))
        try:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise MigrationError(_held(f"the advisory lock {PG_LOCK_KEY}")) from None
            raise
        try:
            await _upgrade(conn)
        finally:
            # A failed revision leaves the transaction aborted: the unlock would fail there
            # and hide the real error (and keep the lock). After a success this is a no-op.
            await conn.rollback()
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            await conn.commit()


def _held(lock: str) -> str:
    return (f"another owlet process has held the migration lock ({lock}) for "
            f"{LOCK_TIMEOUT_SECONDS} s; start again once it has finished, or stop it if it "
            "hangs")  # fmt: skip


async def _upgrade(conn: AsyncConnection) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    def run(sync_conn: Connection) -> None:
        current = MigrationContext.configure(sync_conn).get_current_revision()
        if current == HEAD_REVISION:
            return  # another process migrated while this one waited for the lock
        log.info("migrating database from %s to %s", current, HEAD_REVISION)
        command.upgrade(alembic_config(sync_conn), "head")

    await conn.run_sync(run)
    await conn.commit()
