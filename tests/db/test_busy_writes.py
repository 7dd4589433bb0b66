"""Background writes that meet a locked database (SQLite: another process holds the write
lock for longer than busy_timeout) are tried again, so nothing is lost and nothing is stuck:

* a recorded stream's final save: the client still gets the whole answer, then an error frame
  saying it was not saved, and the answer is saved once the lock is free;
* a file's processing status: it still ends `completed`, never stays `processing`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from owlet.chats import recorder
from owlet.db import engine, retry
from owlet.files import processing
from tests.chats.support import new_chat
from tests.chats.test_recorded_completions import follow_up
from tests.completions.test_chat import content_of, sse_chunks
from tests.fakes.upstream import FakeUpstream
from tests.files.test_files import upload
from tests.gateway import gateway_settings
from tests.support import Backend, app_client, bearer, make_settings, signup


@pytest.fixture
def impatient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seconds instead of minutes: a 50 ms busy_timeout and short retry delays."""
    pragmas = tuple(p for p in engine.SQLITE_PRAGMAS if "busy_timeout" not in p)
    monkeypatch.setattr(engine, "SQLITE_PRAGMAS", (*pragmas, "PRAGMA busy_timeout=50"))
    monkeypatch.setattr(retry, "BACKOFF", (0.05, 0.05))
    monkeypatch.setattr(recorder, "SAVE_LATER", (0.5, 0.5, 1.0, 2.0, 4.0))
    monkeypatch.setattr(processing, "REQUEUE_AFTER", 0.5)


async def _answer(client: httpx.AsyncClient, token: str, chat_id: str) -> dict[str, Any] | None:
    saved = await client.get(f"/api/v1/chats/{chat_id}", headers=bearer(token))
    assert saved.status_code == 200, saved.text
    found: dict[str, Any] | None = saved.json()["chat"]["history"]["messages"].get("a9")
    return found


async def _until(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_a_final_save_that_meets_a_held_lock_is_reported_then_done_later(
    impatient: None, tmp_path: Path, openai_up: FakeUpstream, ollama_up: FakeUpstream
) -> None:
    openai_up.tokens = [f"t{i} " for i in range(20)]
    openai_up.token_delay = 0.1  # a 2 s answer: time to take the lock while it streams
    database = tmp_path / "webui.db"
    backend = Backend("sqlite", f"sqlite:///{database}")
    settings = make_settings(backend, tmp_path / "data", **gateway_settings(openai_up, ollama_up))
    async with app_client(settings) as client:
        ada = await signup(client, "Ada")
        chat = await new_chat(client, ada["token"])
        body = {**follow_up(chat["id"], "a9", "a3"), "stream": True}
        reply = asyncio.create_task(
            client.post("/api/chat/completions", headers=bearer(ada["token"]), json=body)
        )
        assert await _until(lambda: _answer(client, ada["token"], chat["id"]), 10)
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process writing, for a long while
            response = await reply
            placeholder = await _answer(client, ada["token"], chat["id"])
            assert placeholder is not None and placeholder["done"] is False  # not saved yet
        finally:
            holder.rollback()
            holder.close()
        assert response.status_code == 200
        frames = sse_chunks(response.text)
        assert content_of(frames) == openai_up.reply_text  # the client got the whole answer
        errors = [f for f in frames if isinstance(f, dict) and "error" in f]
        assert errors == [{"error": {"message": recorder.NOT_SAVED, "type": "server_error"}}]
        assert frames[-1] == "[DONE]" and frames.index(errors[0]) == len(frames) - 2

        async def saved() -> dict[str, Any] | None:
            answer = await _answer(client, ada["token"], chat["id"])
            return answer if answer and answer["done"] else None

        answer = await _until(saved, 15)  # the lock is gone: the later tries save it
        assert answer, "the answer was never saved after the lock was released"
        assert answer["content"] == openai_up.reply_text and "error" not in answer


async def test_a_file_whose_status_write_meets_a_held_lock_still_completes(
    impatient: None, tmp_path: Path, openai_up: FakeUpstream, ollama_up: FakeUpstream
) -> None:
    openai_up.slow_delay = 1.0  # embedding takes a second: time to take the lock meanwhile
    database = tmp_path / "webui.db"
    settings = make_settings(
        Backend("sqlite", f"sqlite:///{database}"), tmp_path / "data",
        **gateway_settings(openai_up, ollama_up),
        rag_embedding_engine="openai", rag_embedding_model="embed-fault-slow",
    )  # fmt: skip
    async with app_client(settings) as client:
        ada = await signup(client, "Ada")
        uploaded = await upload(client, ada["token"], "notes.txt", b"Everest is 8,849 m tall.")
        assert uploaded.status_code == 200, uploaded.text
        file_id = uploaded.json()["id"]

        async def status() -> str:
            path = f"/api/v1/files/{file_id}/process/status"
            found = await client.get(path, headers=bearer(ada["token"]))
            return str(found.json()["status"])

        assert await _until(lambda: _is(status, "processing"), 5)
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            await asyncio.sleep(1.5)  # the embedding ends and every write of its result fails
            assert await status() == "processing"
        finally:
            holder.rollback()
            holder.close()
        assert await _until(lambda: _is(status, "completed"), 15), await status()


async def _is(status: Any, expected: str) -> bool:
    return bool(await status() == expected)
