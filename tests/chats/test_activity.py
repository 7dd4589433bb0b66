"""Read state, statistics, compaction and message events of chats, through HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.chats.support import new_chat
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup


async def test_read_state_and_unread_first(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    folder = (await client.post("/api/v1/folders/", headers=headers, json={"name": "F"})).json()
    first = await new_chat(client, ada["token"], {"title": "first"}, folder_id=folder["id"])
    second = await new_chat(client, ada["token"], {"title": "second"})
    read = (await client.post("/api/v1/chats/read", headers=headers)).json()
    assert read == {"updated_count": 2, "folder_unread_counts": {}}
    unread = (await client.post(f"/api/v1/chats/{first['id']}/unread", headers=headers)).json()
    assert unread["chat_id"] == first["id"] and unread["last_read_at"] is None
    assert unread["folder_unread_counts"] == {folder["id"]: 1}
    ordered = await client.get(
        "/api/v1/chats/",
        headers=headers,
        params={"sort_by": "unread_updated_at", "include_folders": "true"},
    )
    assert [c["id"] for c in ordered.json()] == [first["id"], second["id"]]


async def test_statistics(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    chat = await new_chat(client, ada["token"])
    usage = (await client.get("/api/v1/chats/stats/usage", headers=headers)).json()
    assert usage["total"] == 1
    item = usage["items"][0]
    assert item["id"] == chat["id"] and item["message_count"] == 4  # the current branch
    assert item["history_message_count"] == 5 and item["history_assistant_message_count"] == 3
    assert item["history_models"] == {"fake-gpt": 3}
    exported = (await client.get("/api/v1/chats/stats/export", headers=headers)).json()
    assert exported["type"] == "chats" and exported["total"] == 1
    stats = exported["items"][0]
    assert stats["chat"]["history"]["currentId"] == "a3"
    assert stats["chat"]["history"]["messages"]["a2"]["content_length"] == len("Mount Everest.")
    assert "content" not in stats["chat"]["history"]["messages"]["a2"]  # figures, not text
    one = await client.get(f"/api/v1/chats/stats/export/{chat['id']}", headers=headers)
    assert one.json()["id"] == chat["id"]
    streamed = await client.get("/api/v1/chats/stats/export?stream=true", headers=headers)
    assert [json.loads(line)["id"] for line in streamed.text.splitlines()] == [chat["id"]]
    later = await client.get(
        "/api/v1/chats/stats/export", headers=headers, params={"updated_at": chat["updated_at"]}
    )
    assert later.json()["total"] == 0
    uma = await add_user(client, ada["token"], "Uma")
    assert (
        await client.get(f"/api/v1/chats/stats/export/{chat['id']}", headers=bearer(uma["token"]))
    ).status_code == 404


async def test_context_usage_and_compaction_config(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    chat = await new_chat(client, ada["token"])
    usage = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()[
        "context_usage"
    ]
    assert usage["source"] == "estimated" and usage["threshold"] == 100_000 and usage["tokens"] > 0
    config = (await client.get("/api/v1/chats/config", headers=headers)).json()
    assert config["CONTEXT_COMPACTION_RETENTION_PERCENTAGE"] == 40
    saved = await client.post(
        "/api/v1/chats/config",
        headers=headers,
        json={
            **config,
            "CONTEXT_COMPACTION_RETENTION_PERCENTAGE": 90,
            "CONTEXT_COMPACTION_TOKEN_THRESHOLD": 10,
        },
    )
    assert saved.json()["CONTEXT_COMPACTION_RETENTION_PERCENTAGE"] == 50  # clamped
    usage = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()[
        "context_usage"
    ]
    assert usage["threshold"] == 10 and usage["percent"] > 100
    # Without a model nowhere (no connection serves the chat's model here) compaction refuses.
    refused = await client.post(f"/api/v1/chats/{chat['id']}/compact", headers=headers, json={})
    assert (
        refused.status_code == 400
        and refused.json()["detail"] == "No model found for context compaction."
    )


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def test_compaction_summarises_the_older_messages(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        chat = await new_chat(client, ada["token"])
        done = await client.post(f"/api/v1/chats/{chat['id']}/compact", headers=headers, json={})
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["compacted"] is True and body["summary"] == "Hello, world!"
        assert body["dropped_messages"] >= 1
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        assert "What is the tallest mountain?" in sent["messages"][1]["content"]
        saved = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()
        assert saved["summary"] == "Hello, world!"
        kept = [m for m in saved["chat"]["history"]["messages"].values() if "contextSummary" in m]
        assert len(kept) == 1
        # While an answer is still being written, compaction waits.
        a9 = {"id": "a9", "parentId": "a3", "role": "assistant", "content": "", "done": False}
        pending = {"history": {"messages": {"a9": a9}, "currentId": "a9"}}
        await client.post(f"/api/v1/chats/{chat['id']}", headers=headers, json={"chat": pending})
        busy = await client.post(f"/api/v1/chats/{chat['id']}/compact", headers=headers, json={})
        assert busy.status_code == 409


async def test_message_events_are_persisted(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    chat = await new_chat(client, ada["token"])
    url = f"/api/v1/chats/{chat['id']}/messages/a3/event"

    async def send(kind: str, data: dict[str, object]) -> bool:
        response = await client.post(url, headers=headers, json={"type": kind, "data": data})
        assert response.status_code == 200, response.text
        return bool(response.json())

    assert await send("status", {"description": "Searching", "done": False})
    assert await send("message", {"content": " Roughly."})
    assert await send("citation", {"source": {"name": "atlas"}, "document": ["x"]})
    assert not await send("notification", {"type": "info", "content": "hi"})
    message = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()["chat"][
        "history"
    ]["messages"]["a3"]
    assert message["content"] == "8,849 metres. Roughly."
    assert message["statusHistory"] == [{"description": "Searching", "done": False}]
    assert message["sources"][0]["source"] == {"name": "atlas"}
    assert await send("replace", {"content": "Replaced."})
    gone = await client.post(
        f"/api/v1/chats/{chat['id']}/messages/zz/event", headers=headers, json={"type": "status"}
    )
    assert gone.status_code == 404
