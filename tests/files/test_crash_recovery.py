"""A real `owlet serve` killed with SIGKILL while a file is being processed, started again on
the same data: the upload it acknowledged is still there and its processing completes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from tests.fakes.upstream import FakeUpstream
from tests.gateway import admin_key, as_env, gateway_settings, owlet_server
from tests.support import Backend

TEXT = b"The lighthouse on Gull Rock is kept by Marta Vinter."


def _status(base: str, headers: dict[str, str], file_id: str) -> str:
    found = httpx.get(f"{base}/api/v1/files/{file_id}/process/status", headers=headers)
    assert found.status_code == 200, found.text
    return str(found.json()["status"])


def _wait_status(base: str, headers: dict[str, str], file_id: str, want: str) -> str:
    deadline = time.monotonic() + 30
    while (status := _status(base, headers, file_id)) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    return status


def test_a_file_processing_when_the_server_is_killed_completes_after_the_restart(
    backend: Backend,
    clean_db: object,
    tmp_path: Path,
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
) -> None:
    openai_up.slow_delay = 60.0  # the embedding never answers before the kill
    env = as_env({**gateway_settings(openai_up, ollama_up), "rag_embedding_engine": "openai",
                  "rag_embedding_model": "embed-fault-slow"})  # fmt: skip
    data_dir = tmp_path / "data"
    with owlet_server(backend, data_dir, env) as (base, proc):
        headers = {"Authorization": f"Bearer {admin_key(base)}"}
        uploaded = httpx.post(
            f"{base}/api/v1/files/", headers=headers, files={"file": ("gull.txt", TEXT)}
        )
        assert uploaded.status_code == 200, uploaded.text
        file_id = uploaded.json()["id"]
        assert _wait_status(base, headers, file_id, "processing") == "processing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    openai_up.slow_delay = 0.2
    with owlet_server(backend, data_dir, env) as (base, _proc):
        assert _wait_status(base, headers, file_id, "completed") == "completed"
        found = httpx.get(f"{base}/api/v1/files/{file_id}", headers=headers)
        assert found.status_code == 200 and found.json()["filename"] == "gull.txt"
        content = httpx.get(f"{base}/api/v1/files/{file_id}/content", headers=headers)
        assert content.status_code == 200 and content.content == TEXT
        query = httpx.post(
            f"{base}/api/v1/retrieval/query/doc",
            headers=headers,
            json={"collection_name": f"file-{file_id}", "query": "Who keeps the lighthouse?"},
        )
        assert query.status_code == 200, query.text
        assert "Marta Vinter" in query.text  # its chunks were indexed by the restarted server
