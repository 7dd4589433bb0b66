"""Fixtures of the real-time tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fakes.upstream import FakeUpstream
from tests.gateway import as_env, gateway_settings, owlet_process
from tests.realtime.support import TOKENS, Site
from tests.support import Backend


@pytest.fixture
def site_up() -> Iterator[FakeUpstream]:
    with FakeUpstream(tokens=TOKENS) as up:
        yield up


@pytest_asyncio.fixture
async def site(
    backend: Backend, clean_db: object, tmp_path: Path, site_up: FakeUpstream
) -> AsyncIterator[Site]:
    settings = as_env(gateway_settings(site_up, site_up))
    with owlet_process(backend, tmp_path / "data", settings) as base:
        s = Site(base, site_up)
        yield s
        await s.http.aclose()
