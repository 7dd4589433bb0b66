"""A real `owlet serve` killed with SIGKILL half-way through a knowledge batch add, started
again on the same data: the batch is all or nothing. No file is linked (the client saw no
2xx), none of the chunks copied before the kill is left for the knowledge base's searches,
and the same batch then adds cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from owlet.db.engine import create_engine
from owlet.settings import Settings
from tests.fakes.upstream import FakeUpstream
from tests.gateway import admin_key, as_env, gateway_settings, owlet_server
from tests.support import Backend

FILES = 150  # enough that copying their chunks takes a while to land a kill in


def _upload(base: str, headers: dict[str, str], i: int) -> str:
    text = f"Note {i}: the lighthouse keeper counted {i} gulls on Gull Rock."
    made = httpx.post(
        f"{base}/api/v1/files/",
        headers=headers,
        params={"process_in_background": "false"},
        files={"file": (f"note-{i}.txt", text.encode())},
        timeout=60,
    )
    assert made.status_code == 200 and made.json()["data"]["status"] == "completed", made.text
    return str(made.json()["id"])


def _search(base: str, headers: dict[str, str], kb_id: str) -> list[Any]:
    found = httpx.post(
        f"{base}/api/v1/retrieval/query/collection",
        headers=headers,
        json={"collection_names": [kb_id], "query": "How many gulls?", "k": 5},
        timeout=30,
    )
    assert found.status_code == 200, found.text
    return list(found.json()["documents"][0]) if found.json()["documents"] else []


def _linked(base: str, headers: dict[str, str], kb_id: str) -> int:
    files = httpx.get(f"{base}/api/v1/knowledge/{kb_id}/files", headers=headers, timeout=30)
    assert files.status_code == 200, files.text
    return int(files.json()["total"])


def _age_batches(backend: Backend, seconds: int) -> int:
    """As if `seconds` had passed since the batches were announced (the sweep's lease)."""

    async def run() -> int:
        engine = create_engine(Settings(database_url=backend.url))
        try:
            async with engine.begin() as conn:
                aged = await conn.exec_driver_sql(
                    f"UPDATE knowledge_batch SET created_at = created_at - {seconds}"
                )
                return int(aged.rowcount)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_batch_add_killed_half_way_is_taken_back_after_the_restart(
    backend: Backend,
    clean_db: object,
    tmp_path: Path,
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
) -> None:
    env = as_env({**gateway_settings(openai_up, ollama_up), "rag_embedding_engine": "openai",
                  "rag_embedding_model": "fake-gpt"})  # fmt: skip
    data_dir = tmp_path / "data"
    with owlet_server(backend, data_dir, env) as (base, proc):
        headers = {"Authorization": f"Bearer {admin_key(base)}"}
        file_ids = [_upload(base, headers, i) for i in range(FILES)]
        kb = httpx.post(f"{base}/api/v1/knowledge/create", headers=headers,
                        json={"name": "Gulls", "description": ""}).json()  # fmt: skip
        collection = data_dir / "vector_db" / kb["id"]
        answers: list[int] = []

        def add() -> None:
            try:
                added = httpx.post(
                    f"{base}/api/v1/knowledge/{kb['id']}/files/batch/add", headers=headers,
                    json=[{"file_id": f} for f in file_ids], timeout=60,
                )  # fmt: skip
                answers.append(added.status_code)
            except httpx.HTTPError:
                pass  # killed under it

        adding = threading.Thread(target=add, daemon=True)
        adding.start()
        deadline = time.monotonic() + 30
        while not (collection.is_dir() and any(collection.glob("*.npy"))):
            assert time.monotonic() < deadline and not answers, "no chunk was ever copied"
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        adding.join(timeout=10)
        assert not answers, f"the batch was answered before the kill: {answers}"
    copied = len(list(collection.glob("*.npy")))
    assert 0 < copied < FILES, copied  # killed half-way: some files' chunks are there
    assert _age_batches(backend, 3600) == 1  # the announced batch outlived its request

    with owlet_server(backend, data_dir, env) as (base, _proc):
        assert _linked(base, headers, kb["id"]) == 0  # nothing acknowledged, nothing linked
        deadline = time.monotonic() + 30
        while (left := _search(base, headers, kb["id"])) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], f"chunks of unlinked files are still searched: {left[:2]}"
        # The server is healthy and the same batch now adds, once, in full.
        added = httpx.post(
            f"{base}/api/v1/knowledge/{kb['id']}/files/batch/add", headers=headers,
            json=[{"file_id": f} for f in file_ids], timeout=120,
        )  # fmt: skip
        assert added.status_code == 200, added.text
        assert {f["id"] for f in added.json()["files"]} == set(file_ids)
        assert _linked(base, headers, kb["id"]) == FILES
        hits = _search(base, headers, kb["id"])
        assert len(hits) == 5 and len(set(hits)) == 5  # no chunk twice
        assert _age_batches(backend, 0) == 0  # the finished batch left no row behind
