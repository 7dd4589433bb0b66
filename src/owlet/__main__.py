"""The `owlet` command: `serve`, `migrate`, `create-admin`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from owlet import __version__
from owlet.settings import Settings, SettingsError

log = logging.getLogger("owlet")


def _settings() -> Settings:
    try:
        settings = Settings()
        _ = settings.secret_key  # generate/validate now, before any worker starts
        _ = settings.oauth  # OAUTH_* / OPENID_* variables: a bad one stops start-up here
    except (SettingsError, ValueError) as exc:
        raise SystemExit(f"owlet: invalid configuration: {exc}") from None
    return settings


async def _migrate(settings: Settings) -> None:
    from owlet.db.engine import create_engine
    from owlet.db.migrate import migrate

    engine = create_engine(settings)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def _run_migrations(settings: Settings) -> None:
    from owlet.db.migrate import MigrationError

    try:
        asyncio.run(_migrate(settings))
    except MigrationError as exc:
        raise SystemExit(f"owlet: {exc}") from None


def _check_auth_mode(settings: Settings) -> None:
    from owlet.auth.modes import SingleUserModeError, preflight

    try:
        asyncio.run(preflight(settings))
    except SingleUserModeError as exc:
        raise SystemExit(f"owlet: {exc}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    if settings.enable_db_migrations:
        _run_migrations(settings)
    _check_auth_mode(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.uvicorn_workers
    if workers > 1 and not settings.redis_url:
        # Sockets, their sessions and running generations must be shared between workers.
        raise SystemExit(
            f"owlet: {workers} workers need Redis (set REDIS_URL): sockets, their sessions "
            "and running chat generations are shared through it. Without Redis, run 1 worker."
        )
    log.info("owlet %s serving on http://%s:%s (%d worker(s))", __version__, host, port, workers)
    uvicorn.run(
        "owlet.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.global_log_level.lower(),
        proxy_headers=False,
        server_header=False,
    )
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    _run_migrations(_settings())
    print("database is at the latest schema")
    return 0


async def _create_admin(settings: Settings, email: str, password: str, name: str) -> str:
    from owlet.auth.service import AuthService
    from owlet.container import Container
    from owlet.errors import AppError

    container = await Container.start(settings)
    try:
        async with container.sessionmaker() as session:
            service = AuthService(session, container, await container.config.fresh())
            try:
                user = await service.create_admin(email=email, password=password, name=name)
            except AppError as exc:
                raise SystemExit(f"owlet: cannot create admin: {exc.detail}") from None
            await session.commit()
            return user.id
    finally:
        await container.close()


def cmd_create_admin(args: argparse.Namespace) -> int:
    settings = _settings()
    email = args.email or settings.webui_admin_email or input("Email: ")
    password = args.password or settings.webui_admin_password
    if not password:
        password = getpass.getpass("Password: ")
    name = args.name or settings.webui_admin_name
    user_id = asyncio.run(_create_admin(settings, email, password, name))
    print(f"created admin {email} ({user_id})")
    return 0


def cmd_fetch_frontend(_args: argparse.Namespace) -> int:
    from owlet.web import frontend_build

    folder = _settings().frontend_build_dir
    try:
        frontend_build.fetch(folder)
    except frontend_build.FetchError as exc:
        raise SystemExit(f"owlet: {exc}") from None
    print(f"web client (Open WebUI {frontend_build.VERSION}) at {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="owlet", description="owlet server")
    parser.add_argument("--version", action="version", version=f"owlet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", help="bind address (default: $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default: 1)")
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser("migrate", help="bring the database schema to the latest version")
    migrate.set_defaults(func=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--email", help="default: $WEBUI_ADMIN_EMAIL, else asked")
    admin.add_argument("--password", help="default: $WEBUI_ADMIN_PASSWORD, else asked")
    admin.add_argument("--name", help="default: $WEBUI_ADMIN_NAME or Admin")
    admin.set_defaults(func=cmd_create_admin)
    fetch = sub.add_parser("fetch-frontend", help="fetch the web client into FRONTEND_BUILD_DIR")
    fetch.set_defaults(func=cmd_fetch_frontend)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    level = os.environ.get("GLOBAL_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
