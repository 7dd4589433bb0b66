"""`llama_cpp.server` (llama-cpp-python's own OpenAI-compatible server) as a real upstream
connection, with the bundled model: listed and answering through owlet."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from owlet.providers.local.catalog import bundled_model
from tests.gateway import admin_key, free_port, owlet_process, wait_until_up
from tests.support import Backend

ALIAS = "smol-upstream"


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    model = bundled_model()
    assert model is not None
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024",
    ]  # fmt: skip
    # Its settings read HOST and PORT from the environment over the command line (and
    # `make test` exports owlet's).
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(proc, f"{url}/models", "llama_cpp.server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_llama_cpp_server_as_an_openai_upstream(
    llama_server: str, backend: Backend, clean_db: object, tmp_path: Path
) -> None:
    env = {
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URLS": llama_server,
        "OPENAI_API_KEYS": "none",
    }
    with owlet_process(backend, tmp_path / "data", env) as base:
        client = openai.OpenAI(base_url=f"{base}/api", api_key=admin_key(base), max_retries=0)
        assert ALIAS in {m.id for m in client.models.list()}
        messages = [{"role": "user", "content": "Say hello."}]
        reply = client.chat.completions.create(model=ALIAS, messages=messages, max_tokens=10)  # type: ignore[arg-type]
        assert (reply.choices[0].message.content or "").strip()
        stream = client.chat.completions.create(
            model=ALIAS,
            messages=messages,
            max_tokens=10,
            stream=True,  # type: ignore[arg-type]
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).strip()
