"""Fixtures: every HTTP test runs on SQLite and, when configured, on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL and Redis from TEST_REDIS_URL. Each run creates its
own database (`owlet_test_<run>`) and Redis key prefix and removes them afterwards. With
CI=true a missing or unreachable service fails the run instead of skipping.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from owlet.db.engine import create_engine
from owlet.db.migrate import migrate
from owlet.settings import Settings
from tests.fakes.upstream import FakeUpstream
from tests.support import (
    IN_CI,
    RUN_ID,
    Backend,
    app_client,
    create_pg_database,
    drop_pg_database,
    make_settings,
    postgres_admin_url,
    redis_url,
    wipe,
)

BACKENDS = ["sqlite", "postgresql"]


def _missing(service: str, variable: str) -> None:
    message = f"{service} is not configured: set {variable}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests must not skip)")
    pytest.skip(message)


@pytest_asyncio.fixture(scope="session", params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory(prefix="owlet-test-") as tmp:
            yield Backend("sqlite", f"sqlite:///{Path(tmp) / 'webui.db'}")
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        _missing("PostgreSQL", "TEST_DATABASE_URL")
    assert admin_url is not None
    url = await create_pg_database(admin_url)
    try:
        yield Backend("postgresql", url)
    finally:
        await drop_pg_database(admin_url, url)


@pytest_asyncio.fixture(scope="session")
async def backend_engine(backend: Backend) -> AsyncIterator[AsyncEngine]:
    settings = Settings(database_url=backend.url)
    engine = create_engine(settings)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def clean_db(backend_engine: AsyncEngine) -> AsyncEngine:
    await wipe(backend_engine)
    return backend_engine


@pytest_asyncio.fixture(scope="session")
async def redis_run_prefix() -> AsyncIterator[tuple[str, str]]:
    """(url, prefix) for a run-private Redis namespace; every key under it is deleted after."""
    url = redis_url()
    if url is None:
        _missing("Redis", "TEST_REDIS_URL")
    assert url is not None
    from redis.asyncio import Redis

    prefix = f"owlet-test-{RUN_ID}"
    client = Redis.from_url(url)
    await client.ping()
    try:
        yield url, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def redis_prefix(redis_run_prefix: tuple[str, str]) -> tuple[str, str]:
    """(url, prefix) unique to this test, inside the run's namespace."""
    url, prefix = redis_run_prefix
    return url, f"{prefix}:{uuid.uuid4().hex[:8]}"


MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(backend: Backend, clean_db: AsyncEngine, tmp_path: Path) -> MakeClient:
    """`async with make_client(**settings) as client`: an app on the test's clean database."""

    def factory(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return app_client(make_settings(backend, tmp_path / "data", **overrides))

    return factory


@pytest.fixture
def openai_up() -> Iterator[FakeUpstream]:
    with FakeUpstream(models=["fake-gpt"]) as up:
        yield up


@pytest.fixture
def ollama_up() -> Iterator[FakeUpstream]:
    with FakeUpstream(models=["fake-llama:latest"]) as up:
        yield up


@pytest.fixture
def gateway_server(
    backend: Backend,
    clean_db: object,
    tmp_path: Path,
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
) -> Iterator[tuple[str, str]]:
    """`owlet serve` in its own process, wired to both fake upstreams: (base URL, admin key)."""
    from tests.gateway import admin_key, as_env, gateway_settings, owlet_process

    settings = as_env(gateway_settings(openai_up, ollama_up))
    with owlet_process(backend, tmp_path / "data", settings) as base:
        yield base, admin_key(base)


@pytest_asyncio.fixture
async def client(make_client: MakeClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c
