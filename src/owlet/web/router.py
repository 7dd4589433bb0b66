"""`/health`, `/health/db`, `/ready`, `/api/version` and `/api/config`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from owlet import __version__
from owlet.auth.credentials import authenticate
from owlet.deps import ConfigDep, ContainerDep, SessionDep
from owlet.errors import AppError, ServiceUnavailable
from owlet.users import repository as users
from owlet.web.service import public_config, release_notes

router = APIRouter(tags=["web"])


@router.get("/health")
async def health() -> dict[str, bool]:
    return {"status": True}


@router.get("/health/db")
async def health_db(container: ContainerDep) -> dict[str, bool]:
    try:
        async with container.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any DB failure means "not ready"
        raise ServiceUnavailable("Database not ready") from exc
    return {"status": True}


@router.get("/ready")
async def ready(container: ContainerDep) -> dict[str, bool]:
    await health_db(container)
    if container.redis is not None:
        try:
            await container.redis.ping()
        except Exception as exc:  # noqa: BLE001
            raise ServiceUnavailable("Redis not ready") from exc
    return {"status": True}


@router.get("/api/version")
async def version(container: ContainerDep) -> dict[str, str]:
    return {"version": __version__, "deployment_id": container.settings.deployment_id}


@router.get("/api/changelog")
async def changelog() -> dict[str, Any]:
    """owlet's release notes in Open WebUI's shape (the web client shows them)."""
    return release_notes()


@router.get("/api/config")
async def get_config(
    request: Request, session: SessionDep, container: ContainerDep, config: ConfigDep
) -> dict[str, Any]:
    """Public subset before sign-in; an invalid token is ignored, not an error."""
    try:
        user = (await authenticate(request, session, container, config)).user
    except AppError:
        user = None
    onboarding = user is None and not await users.any_exist(session)
    return public_config(container.settings, config, user, onboarding)
