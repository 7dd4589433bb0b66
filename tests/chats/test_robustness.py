"""Chat shapes and races found in review: cycles, odd JSON, concurrent appends, clean-up."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from owlet.errors import Messages, install_error_handlers
from owlet.tables import AccessGrant, ChatMessage
from tests.chats.support import build, message, new_chat
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import bearer, signup


async def test_parent_cycles_never_hang(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    own_parent = {"history": {"currentId": "p", "messages": {"p": {"id": "p", "parentId": "p"}}}}
    refused = await client.post("/api/v1/chats/new", headers=headers, json={"chat": own_parent})
    assert refused.status_code == 400
    loop = {
        "history": {
            "currentId": "t",
            "messages": {"p": {"id": "p", "parentId": "t"}, "t": {"id": "t", "parentId": "p"}},
        }
    }
    chat = await new_chat(client, ada["token"], loop)
    assert chat["chat"]["history"]["messages"]["t"]["childrenIds"] == ["p"]
    opened = await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)
    assert opened.status_code == 200
    deleted = await asyncio.wait_for(
        client.delete(f"/api/v1/chats/{chat['id']}/messages/t", headers=headers), timeout=10
    )
    assert deleted.status_code == 200
    assert deleted.json()["chat"]["history"]["messages"] == {}


@pytest.mark.parametrize(
    "chat",
    [
        {"history": "x"},
        {"history": 5},
        {"history": {"messages": ["a"]}},
        {"history": {"messages": {"a": "not an object"}}},
        {"history": {"messages": {"x" * 300: {"role": "user"}}}},
    ],
)
async def test_odd_shapes_are_400(client: httpx.AsyncClient, chat: dict[str, object]) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    made = await client.post("/api/v1/chats/new", headers=headers, json={"chat": chat})
    assert made.status_code == 400, made.text
    existing = await new_chat(client, ada["token"], {"title": "t"})
    updated = await client.post(
        f"/api/v1/chats/{existing['id']}", headers=headers, json={"chat": chat}
    )
    assert updated.status_code == 400
    imported = await client.post(
        "/api/v1/chats/import", headers=headers, json={"chats": [{"chat": chat}]}
    )
    assert imported.status_code == 400
    assert (
        len((await client.get("/api/v1/chats/", headers=headers)).json()) == 1
    )  # nothing half-written


async def test_odd_but_valid_messages_work(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    odd = {
        "history": {
            "currentId": "a",
            "messages": {
                "a": {"role": "user", "content": [{"type": "text", "text": None}]},  # no "id"
                "b": {
                    "role": "assistant",
                    "parentId": "a",
                    "content": "",
                    "output": [{"type": "message", "content": 5}],
                },
            },
        }
    }
    chat = await new_chat(client, ada["token"], odd)
    assert chat["chat"]["history"]["messages"]["a"]["childrenIds"] == ["b"]
    fork = await client.post(f"/api/v1/chats/{chat['id']}/fork", headers=headers, json={})
    assert fork.status_code == 200 and list(fork.json()["chat"]["history"]["messages"]) == ["a"]
    found = await client.get("/api/v1/chats/search", headers=headers, params={"text": "None"})
    assert found.json() == []  # a null text part is not the word "None"


async def test_concurrent_appends_get_distinct_order(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    chat = await new_chat(client, ada["token"], {"title": "t"})

    async def append(i: int) -> httpx.Response:
        new = message(f"m{i}", None, "user", f"message {i}")
        return await client.post(
            f"/api/v1/chats/{chat['id']}",
            headers=headers,
            json={"chat": {"history": {"messages": {f"m{i}": new}}}},
        )

    results = await asyncio.gather(*(append(i) for i in range(20)))
    assert all(r.status_code == 200 for r in results)
    container = client.app.state.container  # type: ignore[attr-defined]
    async with container.sessionmaker() as session:
        seqs = (
            await session.scalars(select(ChatMessage.seq).where(ChatMessage.chat_id == chat["id"]))
        ).all()
    assert sorted(seqs) == list(range(1, 21))


async def test_bulk_delete_and_unshare_at_once(client: httpx.AsyncClient) -> None:
    # Unshare-all read the shared chats, delete-all removed them, and unshare-all's update
    # of a deleted row was a 500 (StaleDataError on SQLite, a deadlock on PostgreSQL).
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    for _ in range(3):
        for n in range(6):
            chat = await new_chat(client, ada["token"], {"title": f"c{n}"})
            shared = await client.post(f"/api/v1/chats/{chat['id']}/share", headers=headers)
            assert shared.status_code == 200, shared.text
        both = await asyncio.gather(
            *(client.delete(path, headers=headers)
              for _ in range(3) for path in ("/api/v1/chats/share/all", "/api/v1/chats/"))
        )  # fmt: skip
        assert {r.status_code for r in both} == {200}, [r.text for r in both]
        left = await client.get("/api/v1/chats/", headers=headers)
        assert left.json() == []
    listed = await client.get("/api/v1/chats/shared", headers=headers)
    assert listed.status_code == 200 and listed.json() == []


async def test_writes_racing_a_delete_of_the_chat_are_200_or_404(
    client: httpx.AsyncClient,
) -> None:
    # A write read the chat, a concurrent delete removed it, and the write's update of the
    # row it read matched nothing: a 500 (StaleDataError), found by schemathesis in CI.
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    seen = []
    for _ in range(10):
        tree = [message("m1", None, "user", "hi"), message("m2", "m1", "assistant", "yo"),
                message("m3", "m2", "user", "again")]  # fmt: skip
        chat = await new_chat(client, ada["token"], build(tree, "m3"))
        base = f"/api/v1/chats/{chat['id']}"
        calls = [
            client.delete(base, headers=headers),
            client.delete(f"{base}/messages/m1", headers=headers),
            client.delete(f"{base}/messages/m2", headers=headers),
            client.post(f"{base}/messages/m3", headers=headers, json={"content": "x"}),
            client.post(f"{base}/messages/m3/event", headers=headers,
                        json={"type": "status", "data": {"done": True}}),
            client.post(f"{base}/pin", headers=headers),
            client.post(f"{base}/tags", headers=headers, json={"name": "t"}),
            client.post(f"{base}/share", headers=headers),
            client.post(f"{base}/unread", headers=headers),
            client.post(base, headers=headers, json={"chat": {"title": "new"}}),
        ]  # fmt: skip
        for response in await asyncio.gather(*calls):
            seen.append((response.request.method, response.url.path, response.status_code))
    assert {status for *_, status in seen} <= {200, 404}, [
        s for s in seen if s[2] not in (200, 404)
    ]
    assert (await client.get("/api/v1/chats/", headers=headers)).json() == []


async def test_deleting_a_folder_cleans_up_its_chats(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    folder = (await client.post("/api/v1/folders/", headers=headers, json={"name": "F"})).json()
    chat = await new_chat(client, ada["token"], {"title": "t"}, folder_id=folder["id"])
    await client.post(
        f"/api/v1/chats/{chat['id']}/tags", headers=headers, json={"name": "only here"}
    )
    await client.post(f"/api/v1/chats/{chat['id']}/share", headers=headers)
    grant = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
    await client.post(
        f"/api/v1/chats/shared/{chat['id']}/access/update",
        headers=headers,
        json={"access_grants": grant},
    )
    await client.delete(f"/api/v1/folders/{folder['id']}", headers=headers)
    assert (await client.get("/api/v1/chats/all/tags", headers=headers)).json() == []
    container = client.app.state.container  # type: ignore[attr-defined]
    async with container.sessionmaker() as session:
        left = (
            await session.scalars(select(AccessGrant).where(AccessGrant.resource_id == chat["id"]))
        ).all()
    assert left == []


class _Deadlock(Exception):
    sqlstate = "40P01"  # what SQLAlchemy's asyncpg adapter carries over from asyncpg


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("INSERT ...", {}, Exception("database is locked")),
        DBAPIError("UPDATE ...", {}, _Deadlock("deadlock detected")),
    ],
    ids=["sqlite-locked", "postgresql-deadlock"],
)
async def test_a_busy_database_is_a_503(error: DBAPIError) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/locked")
    async def locked() -> None:
        raise error

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/locked")
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json() == {"detail": Messages.BUSY}


async def test_the_recorder_keeps_what_the_client_wrote(
    make_client: MakeClient, openai_up: FakeUpstream, ollama_up: FakeUpstream
) -> None:
    async with make_client(**gateway_settings(openai_up, ollama_up)) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        placeholder = message(
            "a9", "u1", "assistant", "", modelName="Fake GPT", modelIdx=0, done=False
        )
        chat = await new_chat(
            client,
            ada["token"],
            {
                "history": {
                    "currentId": "a9",
                    "messages": {"u1": message("u1", None, "user", "hi"), "a9": placeholder},
                }
            },
        )
        body = {
            "model": "fake-gpt",
            "messages": [{"role": "user", "content": "hi"}],
            "chat_id": chat["id"],
            "id": "a9",
        }
        assert (
            await client.post("/api/chat/completions", headers=headers, json=body)
        ).status_code == 200
        saved = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()
        answer = saved["chat"]["history"]["messages"]["a9"]
        assert answer["modelName"] == "Fake GPT" and answer["modelIdx"] == 0
        assert answer["content"] == "Hello, world!" and answer["done"] is True
        loop = {**body, "id": "z", "parent_id": "z", "user_message": message("z", "z", "user", "x")}
        assert (
            await client.post("/api/chat/completions", headers=headers, json=loop)
        ).status_code == 400
