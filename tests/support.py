"""Test helpers: per-run databases and Redis prefixes, app clients, sign-up shortcuts."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.engine import make_url

from owlet.app import create_app
from owlet.settings import Settings
from owlet.tables.base import Base

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RUN_ID = uuid.uuid4().hex[:10]
PASSWORD = "correct-horse-battery"


class ServerError(AssertionError):
    """The app answered 5xx where the test did not expect it."""


@dataclass
class Backend:
    name: str
    url: str  # a sync-style URL; Settings turns it into the async driver URL


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def redis_url() -> str | None:
    return os.environ.get("TEST_REDIS_URL") or None


async def create_pg_database(admin_url: str, suffix: str = "") -> str:
    """CREATE DATABASE owlet_test_<run><suffix>; returns its URL.

    The shared `backend` database has no suffix; a test that needs a database of its own
    (one it migrates itself) passes one, or it would collide with that database."""
    import asyncpg

    name = f"owlet_test_{RUN_ID}{suffix}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(admin_url: str, url: str) -> None:
    import asyncpg

    name = make_url(url).database
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def wipe(engine: Any) -> None:
    """Empty every table (the schema stays) so each test starts from nothing."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())


def make_settings(backend: Backend, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": backend.url,
        "bcrypt_rounds": 4,
        "redis_url": None,
        "env": "prod",
        "cors_allow_origin": "*",
        # No real upstreams: tests that need one point these at tests/fakes/upstream.py.
        "enable_openai_api": False,
        "enable_ollama_api": False,
        # The default arena entry would appear in every admin's model list; its own tests
        # turn it on.
        "enable_evaluation_arena_models": False,
        # Nor the bundled local model (tests/local turn it on), nor the web client.
        "enable_local_models": False,
        "enable_frontend": False,
    }
    values.update(overrides)
    return Settings(**values)


async def _fail_on_5xx(response: httpx.Response) -> None:
    if response.status_code >= 500 and not response.request.extensions.get("allow_5xx"):
        await response.aread()
        raise ServerError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:500]}"
        )


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            # Never keep Set-Cookie: each request carries only the credential a test gives it.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            event_hooks={"response": [_fail_on_5xx]},
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signup(
    client: httpx.AsyncClient, name: str, email: str | None = None, password: str = PASSWORD
) -> dict[str, Any]:
    email = email or f"{name.lower()}@example.com"
    response = await client.post(
        "/api/v1/auths/signup", json={"name": name, "email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_user(
    client: httpx.AsyncClient, admin_token: str, name: str, role: str = "user"
) -> dict[str, Any]:
    """An admin adds a user with `role`; returns the user with a fresh token."""
    response = await client.post(
        "/api/v1/auths/add",
        headers=bearer(admin_token),
        json={
            "name": name,
            "email": f"{name.lower()}@example.com",
            "password": PASSWORD,
            "role": role,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class RegisteredRoute:
    path: str
    method: str
    in_schema: bool


def registered_routes(app: Any) -> list[RegisteredRoute]:
    """Every (path, method) the app serves, through included routers."""
    from fastapi import routing

    found = []
    contexts = (
        routing.iter_route_contexts(app.routes)
        if hasattr(routing, "iter_route_contexts")
        else app.routes
    )
    for route in contexts:
        methods = getattr(route, "methods", None) or set()
        in_schema = bool(getattr(route, "include_in_schema", False))
        for method in sorted(methods - {"HEAD"}):
            found.append(RegisteredRoute(route.path, method, in_schema))
    return found
