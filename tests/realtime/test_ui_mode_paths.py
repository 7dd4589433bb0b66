"""UI mode goes through the same pipeline as HTTP: stream filters change the deltas the
sockets get, a pipe function answers, and the local model answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from tests.fakes.upstream import FakeUpstream
from tests.gateway import as_env, gateway_settings, owlet_process
from tests.realtime.support import TOKENS, Site, payload_of, rebuilt, until_done
from tests.support import Backend

SHOUT = """
class Filter:
    def stream(self, event: dict) -> dict:
        for choice in event.get("choices", []):
            delta = choice.get("delta", {})
            if delta.get("content"):
                delta["content"] = delta["content"].upper()
        return event
"""

PIPE = """
class Pipe:
    def pipe(self, body: dict):
        return (w + " " for w in ("piped:", body["messages"][-1]["content"]))
"""


@pytest_asyncio.fixture
async def local_site(
    backend: Backend, clean_db: object, tmp_path: Path, site_up: FakeUpstream
) -> AsyncIterator[Site]:
    env = {**as_env(gateway_settings(site_up, site_up)), "ENABLE_LOCAL_MODELS": "true"}
    with owlet_process(backend, tmp_path / "data", env) as base:
        site = Site(base, site_up)
        yield site
        await site.http.aclose()


async def install(site: Site, admin: dict, fid: str, content: str, on_all: bool) -> None:  # type: ignore[type-arg]
    headers = site.auth(admin)
    function = {"id": fid, "name": fid, "content": content, "meta": {}}
    made = await site.http.post("/api/v1/functions/create", headers=headers, json=function)
    assert made.status_code == 200, made.text
    await site.http.post(f"/api/v1/functions/id/{fid}/toggle", headers=headers)
    if on_all:
        await site.http.post(f"/api/v1/functions/id/{fid}/toggle/global", headers=headers)


async def answer(site: Site, admin: dict, model: str) -> tuple[str, str]:  # type: ignore[type-arg]
    """(the text the socket rebuilt, the text saved in the chat)."""
    socket, events = await site.socket(admin["token"])
    try:
        chat_id = await site.new_chat(admin, model)
        reply, answer_id = await site.ask(admin, socket.get_sid(), chat_id, model,
                                          params={"max_tokens": 12})  # fmt: skip
        assert reply.status_code == 200, reply.text
        await until_done(events, 60)
        assert not any(payload_of(e).get("error") for e in events), events
        saved = await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(admin))
        return rebuilt(events), saved.json()["chat"]["history"]["messages"][answer_id]["content"]
    finally:
        await socket.disconnect()


async def test_filters_pipes_and_the_local_model(local_site: Site) -> None:
    ada = await local_site.account("Ada")
    await install(local_site, ada, "piper", PIPE, on_all=False)
    heard, saved = await answer(local_site, ada, "piper")
    assert heard == saved == "piped: Tell me about lighthouses. "
    heard, saved = await answer(local_site, ada, "smollm2:135m")
    assert heard.strip() and heard == saved  # the model's own words, as the socket heard them
    await install(local_site, ada, "shout", SHOUT, on_all=True)
    for model in ("fake-gpt", "fake-llama:latest"):
        heard, saved = await answer(local_site, ada, model)
        assert heard == saved == "".join(TOKENS).upper(), model


async def test_rag_in_ui_mode(site: Site) -> None:
    ada = await site.account("Ada")
    made = await site.http.post(
        "/api/v1/files/", headers=site.auth(ada), params={"process_in_background": "false"},
        files={"file": ("everest.txt", b"Mount Everest is 8,849 metres tall.", "text/plain")},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    file_id = made.json()["id"]
    socket, events = await site.socket(ada["token"])
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        reply, answer_id = await site.ask(ada, socket.get_sid(), chat_id, "fake-gpt",
                                          question="How tall is Everest?",
                                          files=[{"type": "file", "id": file_id}])  # fmt: skip
        assert reply.status_code == 200, reply.text
        await until_done(events)
        kinds = [e["data"]["type"] for e in events]
        assert kinds.index("status") < kinds.index("chat:completion")
        first = payload_of(events[kinds.index("chat:completion")])
        assert first["sources"][0]["source"]["id"] == file_id  # sources before the text
        prompts = [str(r.json) for r in site.up.requests if "How tall is Everest?" in str(r.json)]
        assert any("Mount Everest is 8,849 metres tall." in p for p in prompts)
        saved = await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))
        message = saved.json()["chat"]["history"]["messages"][answer_id]
        assert message["sources"][0]["source"]["id"] == file_id
    finally:
        await socket.disconnect()
