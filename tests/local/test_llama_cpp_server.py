"""llama.cpp's own server (the engine process, run on its own) as a real upstream
connection, with the bundled model: listed and answering through owlet."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from owlet.providers.local.catalog import bundled_model
from tests.gateway import admin_key, owlet_process
from tests.support import Backend

ALIAS = "smol-upstream"
KEY = "sk-llama-server"


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    model = bundled_model()
    assert model is not None
    proc = subprocess.Popen(
        [sys.executable, "-m", "owlet.providers.local.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    config = {"model": str(model), "alias": ALIAS, "key": KEY, "context": 1024, "parallel": 2}
    proc.stdin.write(json.dumps(config).encode() + b"\n")
    proc.stdin.flush()
    try:
        ready = json.loads(proc.stdout.readline())
        yield f"{ready['url']}/v1"
    finally:
        proc.stdin.close()  # the engine exits when its stdin closes
        proc.wait(timeout=30)


def test_llama_cpp_server_as_an_openai_upstream(
    llama_server: str, backend: Backend, clean_db: object, tmp_path: Path
) -> None:
    env = {
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URLS": llama_server,
        "OPENAI_API_KEYS": KEY,
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
