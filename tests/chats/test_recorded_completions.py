"""`/api/chat/completions` with `chat_id` + `id` (or `parent_id: null`) stores the answer in
the chat: streamed or not, and when the client hangs up before the end."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.chats.support import as_read, message, new_chat
from tests.completions.test_chat import content_of, sse_chunks
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

HELLO = "Hello, world!"


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


def follow_up(chat_id: str, assistant_id: str, parent: str) -> dict[str, object]:
    """The body the frontend sends for a follow-up question in an existing chat."""
    user_message = message("u9", parent, "user", "And the second tallest?", models=["fake-gpt"])
    return {
        "model": "fake-gpt",
        "messages": [{"role": "user", "content": "And the second tallest?"}],
        "chat_id": chat_id,
        "id": assistant_id,
        "parent_id": parent,
        "user_message": user_message,
    }


async def test_non_streamed_answer_is_saved(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        chat = await new_chat(client, ada["token"])
        reply = await client.post(
            "/api/chat/completions", headers=headers, json=follow_up(chat["id"], "a9", "a3")
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["choices"][0]["message"]["content"] == HELLO
        assert reply.headers["x-chat-id"] == chat["id"] and "chat_id" not in reply.json()
        saved = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()["chat"]
        messages = saved["history"]["messages"]
        assert messages["u9"]["parentId"] == "a3" and messages["u9"]["childrenIds"] == ["a9"]
        answer = messages["a9"]
        assert answer["content"] == HELLO and answer["done"] is True
        assert answer["model"] == "fake-gpt" and answer["usage"]["completion_tokens"] == 4
        assert saved["history"]["currentId"] == "a9"
        assert [m["id"] for m in saved["messages"]][-2:] == ["u9", "a9"]
        # The old messages are untouched.
        assert messages["a2"]["content"] == "Mount Everest."


async def test_streamed_answer_is_saved(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        chat = await new_chat(client, ada["token"])
        body = {**follow_up(chat["id"], "a9", "a3"), "stream": True}
        reply = await client.post("/api/chat/completions", headers=headers, json=body)
        assert reply.status_code == 200
        assert content_of(sse_chunks(reply.text)) == HELLO
        deadline = time.monotonic() + 5
        while True:
            saved = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()
            answer = saved["chat"]["history"]["messages"]["a9"]
            if answer["done"] or time.monotonic() > deadline:
                break
        assert answer["content"] == HELLO and answer["done"] is True


async def test_parent_id_null_starts_a_new_chat(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        reply = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={
                "model": "fake-gpt",
                "messages": [{"role": "user", "content": "Hi"}],
                "parent_id": None,
            },
        )
        assert reply.status_code == 200, reply.text
        chat_id = reply.json()["chat_id"]
        assert reply.headers["x-chat-id"] == chat_id
        saved = (await client.get(f"/api/v1/chats/{chat_id}", headers=headers)).json()
        assert saved["title"] == "New Chat" and saved["chat"]["models"] == ["fake-gpt"]
        messages = list(saved["chat"]["history"]["messages"].values())
        assert [(m["role"], m["content"]) for m in messages] == [
            ("user", "Hi"),
            ("assistant", HELLO),
        ]
        assert messages[1]["parentId"] == messages[0]["id"]
        assert saved["chat"]["history"]["currentId"] == messages[1]["id"]
        listed = (await client.get("/api/v1/chats/", headers=headers)).json()
        assert [c["id"] for c in listed] == [chat_id]
        # Without chat fields nothing is stored (a plain API call).
        await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "fake-gpt", "messages": [{"role": "user", "content": "x"}]},
        )
        assert len((await client.get("/api/v1/chats/", headers=headers)).json()) == 1


async def test_someone_elses_chat_is_refused_and_untouched(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        chat = await new_chat(client, uma["token"])
        # Even an admin cannot write a completion into another user's chat.
        refused = await client.post(
            "/api/chat/completions",
            headers=bearer(ada["token"]),
            json=follow_up(chat["id"], "a9", "a3"),
        )
        assert refused.status_code == 404
        assert openai_up.requests_to("/v1/chat/completions") == []
        kept = (
            await client.get(f"/api/v1/chats/{chat['id']}", headers=bearer(uma["token"]))
        ).json()
        assert kept["chat"] == as_read(chat["chat"])


async def test_an_upstream_error_is_recorded(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        config = (await client.get("/openai/config", headers=headers)).json()
        config["OPENAI_API_CONFIGS"] = {"0": {"model_ids": ["fault-429"]}}
        await client.post("/openai/config/update", headers=headers, json=config)
        chat = await new_chat(client, ada["token"])
        body = {**follow_up(chat["id"], "a9", "a3"), "model": "fault-429"}
        failed = await client.post("/api/chat/completions", headers=headers, json=body)
        assert failed.status_code == 429
        saved = (await client.get(f"/api/v1/chats/{chat['id']}", headers=headers)).json()
        answer = saved["chat"]["history"]["messages"]["a9"]
        assert answer["done"] is True and answer["error"]["content"] == "rate limited"


def counting_request(base: str, headers: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An empty chat, and a streamed completion body that records answer `a1` into it."""
    made = httpx.post(
        f"{base}/api/v1/chats/new",
        headers=headers,
        json={"chat": {"title": "t", "history": {"currentId": None, "messages": {}}}},
    ).json()
    body = {
        "model": "fake-gpt",
        "messages": [{"role": "user", "content": "count"}],
        "stream": True,
        "chat_id": made["id"],
        "id": "a1",
        "user_message": message("u1", None, "user", "count"),
    }
    return made, body


def test_the_answer_is_saved_after_the_client_hangs_up(
    gateway_server: tuple[str, str], openai_up: FakeUpstream
) -> None:
    base, key = gateway_server
    headers = {"Authorization": f"Bearer {key}"}
    openai_up.tokens = ["tick "] * 20
    openai_up.token_delay = 0.05
    made, body = counting_request(base, headers)
    with httpx.stream(
        "POST", f"{base}/api/chat/completions", headers=headers, json=body, timeout=30
    ) as response:
        for line in response.iter_lines():
            if "tick" in line:
                break  # hang up after the first token
    deadline = time.monotonic() + 15
    answer: dict[str, object] = {}
    while time.monotonic() < deadline:
        saved = httpx.get(f"{base}/api/v1/chats/{made['id']}", headers=headers).json()
        answer = saved["chat"]["history"]["messages"].get("a1", {})
        if answer.get("done"):
            break
        time.sleep(0.1)
    assert answer.get("done") is True
    assert answer.get("content") == "tick " * 20  # the whole answer, not what the client saw
    assert openai_up.cancelled_streams == 0


def test_a_message_deleted_mid_stream_stays_deleted(
    gateway_server: tuple[str, str], openai_up: FakeUpstream
) -> None:
    base, key = gateway_server
    headers = {"Authorization": f"Bearer {key}"}
    openai_up.tokens = ["tick "] * 10
    openai_up.token_delay = 0.05
    made, body = counting_request(base, headers)
    url = f"{base}/api/chat/completions"
    with httpx.stream("POST", url, headers=headers, json=body, timeout=30) as response:
        lines = response.iter_lines()
        for line in lines:
            if "tick" in line:
                gone = httpx.delete(
                    f"{base}/api/v1/chats/{made['id']}/messages/a1", headers=headers
                )
                assert gone.status_code == 200
                break
        for _ in lines:  # read to the end: the final save has happened by then
            pass
    saved = httpx.get(f"{base}/api/v1/chats/{made['id']}", headers=headers).json()
    assert "a1" not in saved["chat"]["history"]["messages"]
