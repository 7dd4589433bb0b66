"""The web client's journeys: a real `owlet serve` with the fetched client and the fake upstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.upstream import FakeUpstream
from tests.gateway import as_env, gateway_settings, owlet_process
from tests.support import Backend
from tests.web.browser import BUILD, require_browser

TOKENS = ["Light", "houses", " guide", " ships", " home", "."]
ANSWER = "".join(TOKENS)


@pytest.fixture
def web(backend: Backend, clean_db: object, tmp_path: Path) -> Iterator[tuple[str, FakeUpstream]]:
    require_browser()
    with FakeUpstream(models=["fake-gpt"], tokens=TOKENS, token_delay=0.05) as up:
        settings = gateway_settings(up, up)
        env = {**as_env(settings), "ENABLE_OLLAMA_API": "false", "ENABLE_FRONTEND": "true",
               "FRONTEND_BUILD_DIR": str(BUILD)}  # fmt: skip
        with owlet_process(backend, tmp_path / "data", env) as base:
            yield base, up
