"""Start-up: the CLI, secret handling, migrations that fail fast, settings validation."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from owlet.settings import Settings, SettingsError

OWLET = [sys.executable, "-m", "owlet"]


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [*OWLET, *args], env={**clean, **env}, capture_output=True, text=True, timeout=timeout
    )


def test_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).secret_key
    second = Settings(data_dir=tmp_path).secret_key
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / ".webui_secret_key").stat().st_mode)
    assert mode == 0o600


def test_well_known_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        _ = Settings(data_dir=tmp_path, webui_secret_key="t0p-s3cr3t").secret_key
    result = run_cli("migrate", env={"DATA_DIR": str(tmp_path), "WEBUI_SECRET_KEY": "t0p-s3cr3t"})
    assert result.returncode != 0 and "publicly known default" in result.stderr


def test_invalid_settings_exit_clearly(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"DATA_DIR": str(tmp_path), "JWT_EXPIRES_IN": "forever"})
    assert result.returncode != 0
    assert "invalid configuration" in result.stderr and "Traceback" not in result.stderr


def test_migrate_then_create_admin(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "BCRYPT_ROUNDS": "4"}
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "webui.db").exists()
    created = run_cli(
        "create-admin", "--email", "root@example.com", "--password", "pw-123456", env=env
    )
    assert created.returncode == 0, created.stderr
    again = run_cli("create-admin", "--email", "root@example.com", "--password", "x", env=env)
    assert again.returncode != 0 and "already registered" in again.stderr


def test_unreachable_database_fails_fast_without_serving(tmp_path: Path) -> None:
    env = {
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "PORT": "0",
    }
    result = run_cli("serve", env=env)
    assert result.returncode != 0
    assert "database migration failed" in result.stderr
    assert "Uvicorn running" not in result.stderr


def test_broken_schema_fails_fast(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "webui.db"
    with sqlite3.connect(db) as conn:  # a table in the way of the first migration
        conn.execute('CREATE TABLE "user" (id TEXT)')
    result = run_cli("serve", env={"DATA_DIR": str(tmp_path), "PORT": "0"})
    assert result.returncode != 0
    assert "database migration failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_forms() -> None:
    assert Settings(database_url="postgres://u@h/db").resolved_database_url == (
        "postgresql+asyncpg://u@h/db"
    )
    assert Settings(data_dir=Path("/x")).resolved_database_url == "sqlite+aiosqlite:////x/webui.db"


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    from sqlalchemy import text

    from owlet.db.engine import create_engine

    engine = create_engine(Settings(data_dir=tmp_path))
    try:
        async with engine.connect() as conn:
            values = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            ]
    finally:
        await engine.dispose()
    assert values == ["wal", 5000, 1]


async def test_migrations_match_the_tables(backend_engine: object) -> None:
    """The schema the migrations build is exactly what the ORM tables declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from owlet.tables import Base

    async with backend_engine.connect() as conn:  # type: ignore[attr-defined]
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert diff == []


def test_head_revision_constant_matches_alembic() -> None:
    from owlet.db.migrate import HEAD_REVISION, alembic_head_revision

    assert alembic_head_revision() == HEAD_REVISION


def test_sign_in_providers_are_imported_only_when_used(tmp_path: Path) -> None:
    """A server without LDAP or OAuth never loads ldap3 or authlib's OIDC / joserfc's JWT
    (about 17 MiB and 0.2 s of start-up); `docs/architecture.md` says why."""
    script = (
        "import sys\n"
        "from owlet.app import create_app\n"
        "create_app()\n"
        "heavy = ('ldap3', 'authlib.oidc', 'authlib.oauth2', 'joserfc.jwt', 'joserfc.jwk')\n"
        "print(sorted({m for m in sys.modules if m.startswith(heavy)}))\n"
    )
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
