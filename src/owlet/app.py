"""create_app(): the FastAPI app, its lifespan (Container) and cross-cutting middleware."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import NoMatchFound
from starlette.types import Receive, Scope, Send

from owlet import __version__
from owlet.api import ROUTERS
from owlet.auth.modes import check_single_user_mode
from owlet.auth.service import ensure_initial_admin
from owlet.chats import recovery
from owlet.container import Container
from owlet.core.bodies import RequestBodyGuard
from owlet.core.headers import SecurityHeadersMiddleware
from owlet.core.middleware import RequestContextMiddleware
from owlet.errors import install_error_handlers
from owlet.knowledge import batches
from owlet.realtime import handlers as realtime_handlers
from owlet.realtime.hub import SOCKET_PATH
from owlet.settings import Settings
from owlet.web import frontend, frontend_build

log = logging.getLogger("owlet")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await Container.start(settings)
        try:
            await check_single_user_mode(container)
            await ensure_initial_admin(container)
        except BaseException:
            await container.close()
            raise
        app.state.container = container
        realtime_handlers.install(container.realtime, container)
        await container.realtime.start()
        await container.files.recover()
        _build_routes(app)
        # Answers a stopped server left open: closed in the background (chats/recovery.py).
        sweep = asyncio.create_task(
            recovery.sweep(container.sessionmaker, settings.aiohttp_client_timeout),
            name="interrupted-answers",
        )
        # Knowledge batch adds a stopped server left half-copied (knowledge/batches.py).
        take_back = asyncio.create_task(
            batches.sweep(container.sessionmaker, container.retrieval.store),
            name="half-added-knowledge",
        )
        # What start-up built lives as long as the process: keep it out of the collector's
        # scans, so a full collection under load pauses for the request garbage only.
        gc.collect()
        gc.freeze()
        log.info("owlet %s ready", __version__)
        try:
            yield
        finally:
            sweep.cancel()
            take_back.cancel()
            await asyncio.gather(sweep, take_back, return_exceptions=True)
            await container.close()

    docs = settings.is_dev
    app = FastAPI(
        title="owlet",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        redoc_url=None,
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/ws", SocketMount(app), name="socket.io")
    mount_frontend(app, settings)
    app.add_middleware(
        RequestBodyGuard,
        max_bytes=settings.max_request_body_size,
        per_path={
            "/api/v1/files/": settings.max_upload_size,
            # Engine.IO's own cap (realtime/hub.py); realtime/guard.py checks each packet.
            f"{SOCKET_PATH}/": 2 * settings.max_request_body_size,
        },
    )
    origins = settings.cors_origins
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        # A wildcard origin never gets credentialed (cookie) access.
        allow_credentials="*" not in origins,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: even the last-resort 500
    return app


def _build_routes(app: FastAPI) -> None:
    """Build every included route now, before the first request: FastAPI builds them on the
    first lookup that walks past them. A name lookup that finds nothing walks them all."""
    try:
        app.url_path_for("owlet:build-every-route")
    except NoMatchFound:
        pass


def mount_frontend(app: FastAPI, settings: Settings) -> None:
    """The web client at `/` (after every API route), when it is enabled and built."""
    folder = settings.frontend_build_dir
    if not settings.enable_frontend:
        return
    if not frontend_build.is_built(folder):
        log.warning("no web client at %s (`make run` fetches it): serving the API only", folder)
        return
    static = frontend.static_files(folder)
    if static is not None:
        app.mount("/static", static, name="static")
    app.mount("/", frontend.SpaFiles(folder), name="frontend")


class SocketMount:
    """`/ws/socket.io`: the Container's Socket.IO server (built in the lifespan, so the mount
    forwards to it at call time)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        container: Container = self.app.state.container
        await container.realtime.asgi(scope, receive, send)
