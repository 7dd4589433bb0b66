"""Socket.IO at `/ws/socket.io` and UI-mode completions on a real `owlet serve`, with the
official python-socketio client and the fake upstream (OpenAI and Ollama wire)."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from tests.realtime.support import (
    TOKENS,
    Site,
    cancelled,
    eventually,
    kind_of,
    payload_of,
    rebuilt,
    until_done,
)
from tests.support import add_user


async def test_connect_and_user_join(site: Site) -> None:
    ada = await site.account("Ada")
    client, _ = await site.socket(ada["token"])
    try:
        ack = await client.call("user-join", {"auth": {"token": ada["token"]}})
        assert ack == {"id": ada["id"], "name": "Ada"}
        await client.emit("heartbeat", {})
        await client.emit("usage", {"action": "chat", "model": "fake-gpt", "chat_id": "x"})
        assert await client.call("user-join", {"auth": {"token": "not-a-jwt"}}) is None
        assert await client.call("user-join", {"auth": "nonsense"}) is None
        assert await client.call("user-join", None) is None
    finally:
        await client.disconnect()
    polling = socketio.AsyncClient(reconnection=False)
    await polling.connect(site.base, socketio_path="/ws/socket.io", transports=["polling"],
                          auth={"token": ada["token"]})  # fmt: skip
    try:
        assert (await polling.call("user-join", {"auth": {"token": ada["token"]}}))["id"]
    finally:
        await polling.disconnect()


@pytest.mark.parametrize("model", ["fake-gpt", "fake-llama:latest"])
async def test_a_ui_mode_answer_over_the_socket(site: Site, model: str) -> None:
    ada = await site.account("Ada")
    mine, events = await site.socket(ada["token"])
    other_tab, other_events = await site.socket(ada["token"])
    try:
        chat_id = await site.new_chat(ada, model)
        reply, answer_id = await site.ask(ada, mine.get_sid(), chat_id, model)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["status"] is True and body["chat_id"] == chat_id and body["task_id"]
        await until_done(events)
        await until_done(other_events)  # every tab of the user hears it
        assert rebuilt(events) == "".join(TOKENS)
        assert all(e["chat_id"] == chat_id and e["message_id"] == answer_id for e in events)
        kinds = [kind_of(e) for e in events]
        assert kinds[0] == "chat:active" and kinds[-1] == "chat:active"
        done = next(payload_of(e) for e in events if payload_of(e).get("done"))
        assert done["content"] == "".join(TOKENS) and done["title"]
        assert "chat:title" in kinds
        saved = (await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))).json()
        message = saved["chat"]["history"]["messages"][answer_id]
        assert message["content"] == "".join(TOKENS) and message["done"] is True
        assert saved["title"] == done["title"]
    finally:
        await mine.disconnect()
        await other_tab.disconnect()


async def test_another_users_socket_hears_nothing(site: Site) -> None:
    ada = await site.account("Ada")
    bob = await add_user(site.http, ada["token"], "Bob")
    ada_socket, ada_events = await site.socket(ada["token"])
    bob_socket, bob_events = await site.socket(bob["token"])
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        reply, _ = await site.ask(ada, ada_socket.get_sid(), chat_id, "fake-gpt")
        assert reply.status_code == 200
        await until_done(ada_events)
        await asyncio.sleep(0.2)
        assert bob_events == []
        # Bob cannot drive Ada's socket, nor answer into her chat.
        bob_chat = await site.new_chat(bob, "fake-gpt")
        taken, _ = await site.ask(bob, ada_socket.get_sid(), bob_chat, "fake-gpt")
        assert taken.status_code == 403
        # Nor may anyone (the admin included) answer into a chat that is not theirs.
        foreign, _ = await site.ask(ada, ada_socket.get_sid(), bob_chat, "fake-gpt")
        assert foreign.status_code == 404
        saved = (await site.http.get(f"/api/v1/chats/{bob_chat}", headers=site.auth(bob))).json()
        assert saved["chat"]["history"]["messages"] == {}
    finally:
        await ada_socket.disconnect()
        await bob_socket.disconnect()


async def test_bad_ui_requests_create_nothing(site: Site) -> None:
    ada = await site.account("Ada")
    client, _ = await site.socket(ada["token"])
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        for extra, status in (({"id": None}, 400), ({"session_id": "no-such-socket"}, 400),
                              ({"session_id": 7}, 400)):  # fmt: skip
            reply, _ = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt", **extra)
            assert reply.status_code == status, reply.text
            assert "detail" in reply.json()
        saved = (await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))).json()
        assert saved["chat"]["history"]["messages"] == {}
    finally:
        await client.disconnect()


async def test_stop_mid_stream_keeps_the_partial_answer(site: Site) -> None:
    site.up.token_delay = 0.2
    site.up.tokens = [f" word{n}" for n in range(60)]
    ada = await site.account("Ada")
    client, events = await site.socket(ada["token"])
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        reply, answer_id = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt")
        task_id = reply.json()["task_id"]
        listed = await site.http.get(f"/api/tasks/chat/{chat_id}", headers=site.auth(ada))
        assert listed.json() == {"task_ids": [task_id]}
        await eventually(lambda: rebuilt(events))
        stop = await site.http.post(f"/api/tasks/stop/{task_id}", headers=site.auth(ada))
        assert stop.status_code == 200 and stop.json()["status"] is True
        await eventually(lambda: cancelled(events))  # it may come just after the reply
        assert not any(payload_of(e).get("done") for e in events)  # stopped, not finished
        saved = (await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))).json()
        message = saved["chat"]["history"]["messages"][answer_id]
        assert message["done"] is True and message["content"].startswith(" word0")
        assert len(message["content"]) < len("".join(site.up.tokens))
        gone = await site.http.post(f"/api/tasks/stop/{task_id}", headers=site.auth(ada))
        assert gone.status_code == 404
    finally:
        await client.disconnect()


async def test_the_answer_is_saved_when_the_socket_leaves(site: Site) -> None:
    site.up.token_delay = 0.05
    ada = await site.account("Ada")
    client, events = await site.socket(ada["token"])
    chat_id = await site.new_chat(ada, "fake-gpt")
    reply, answer_id = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt")
    assert reply.status_code == 200
    await client.disconnect()  # the tab closes mid-answer
    for _ in range(100):
        saved = (await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))).json()
        message = saved["chat"]["history"]["messages"][answer_id]
        if message.get("done"):
            break
        await asyncio.sleep(0.05)
    assert message["done"] is True and message["content"] == "".join(TOKENS)


async def test_an_upstream_that_dies_mid_stream(site: Site) -> None:
    ada = await site.account("Ada")
    client, events = await site.socket(ada["token"])
    try:
        broken = "fake-gpt-fault-reset"  # the fake drops the connection after two frames
        site.up.models.append(broken)
        chat_id = await site.new_chat(ada, broken)
        reply, answer_id = await site.ask(ada, client.get_sid(), chat_id, broken)
        assert reply.status_code == 200, reply.text
        await until_done(events)
        assert any(payload_of(e).get("error") for e in events)
        saved = (await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))).json()
        message = saved["chat"]["history"]["messages"][answer_id]
        assert message["done"] is True and message.get("error")
        assert message["content"] == rebuilt(events)  # what came before the reset
    finally:
        await client.disconnect()


async def test_background_tasks_name_tag_and_suggest(site: Site) -> None:
    site.up.tokens = ['{"title": "Lighthouse Lore", "tags": ["Sea"], "follow_ups": ["Who?"]}']
    ada = await site.account("Ada")
    client, events = await site.socket(ada["token"])
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        everything = {"title_generation": True, "tags_generation": True,
                      "follow_up_generation": True}  # fmt: skip
        reply, _ = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt",
                                  background_tasks=everything)  # fmt: skip
        assert reply.status_code == 200
        await until_done(events)
        by_kind = {kind_of(e): e["data"]["data"] for e in events}
        assert by_kind["chat:title"] == "Lighthouse Lore"
        assert by_kind["chat:tags"] == ["Sea"]
        assert by_kind["chat:message:follow_ups"] == {"follow_ups": ["Who?"]}
        tags = await site.http.get(f"/api/v1/chats/{chat_id}/tags", headers=site.auth(ada))
        assert [t["name"] for t in tags.json()] == ["Sea"]
        saved = (await site.http.get(f"/api/v1/chats/{chat_id}", headers=site.auth(ada))).json()
        assert saved["title"] == "Lighthouse Lore"
    finally:
        await client.disconnect()


async def test_read_state_usage_and_api_keys(site: Site) -> None:
    ada = await site.account("Ada")
    client, events = await site.socket(ada["token"])
    key = await site.http.post("/api/v1/auths/api_key", headers=site.auth(ada))
    keyed, keyed_events = await site.socket(key.json()["api_key"])  # refused: hears nothing
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        await client.emit("events:chat", {"chat_id": chat_id, "data": {"type": "last_read_at"}})
        await eventually(lambda: any(kind_of(e) == "chat:list" for e in events))
        state = next(payload_of(e) for e in events if kind_of(e) == "chat:list")
        assert state["chat_id"] == chat_id and state["last_read_at"] > 0
        listed = await site.http.get("/api/v1/chats/", headers=site.auth(ada))
        assert listed.json()[0]["last_read_at"] == state["last_read_at"]
        await client.emit("events:chat", {"chat_id": "not-mine", "data": {"type": "last_read_at"}})
        await client.emit("events:chat", ["garbage"])
        await client.emit("usage", {"action": "chat", "model": "fake-gpt", "chat_id": chat_id})
        for _ in range(50):  # the socket's report lands on its own schedule
            usage = (await site.http.get("/api/usage", headers=site.auth(ada))).json()
            if usage["model_ids"]:
                break
            await asyncio.sleep(0.02)
        assert usage["model_ids"] == ["fake-gpt"] and usage["user_count"] >= 1
        reply, _ = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt")
        await until_done(events)
        assert keyed_events == []
        assert await keyed.call("user-join", {"auth": {"token": key.json()["api_key"]}}) is None
    finally:
        await client.disconnect()
        await keyed.disconnect()


async def test_a_follow_up_sends_the_stored_conversation(site: Site) -> None:
    ada = await site.account("Ada")
    client, events = await site.socket(ada["token"])
    try:
        chat_id = await site.new_chat(ada, "fake-gpt")
        _, first = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt")
        await until_done(events)
        events.clear()
        reply, _ = await site.ask(ada, client.get_sid(), chat_id, "fake-gpt",
                                  question="And who keeps them?", after=first)  # fmt: skip
        assert reply.status_code == 200, reply.text
        await until_done(events)
        # fake-gpt is served by the fake's Ollama side here (both sides are configured).
        sent = [r for r in site.up.requests_to("/api/chat")
                if "title" not in str(r.json)][-1].json["messages"]  # fmt: skip
        assert [{"role": m["role"], "content": m["content"]} for m in sent] == [
            {"role": "user", "content": "Tell me about lighthouses."},
            {"role": "assistant", "content": "".join(TOKENS)},
            {"role": "user", "content": "And who keeps them?"},
        ]
    finally:
        await client.disconnect()
