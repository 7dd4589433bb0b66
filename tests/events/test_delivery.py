"""Event webhook delivery, end to end: the HTTP API does something, and a real receiver on
loopback gets Open WebUI 0.12.4's event envelope, in the background, through the egress
guard (ENABLE_LOCAL_URL_FETCH=true, or loopback would be refused, as one test shows)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from owlet.events.delivery import EventPublisher
from tests.conftest import MakeClient
from tests.fakes.receiver import Receiver
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import PASSWORD, add_user, bearer, signup

ENVELOPE = {"schema", "id", "event", "resource", "operation", "created_at", "instance_id",
            "version", "source", "actor", "subject", "data", "message"}  # fmt: skip
LOCAL = {"enable_local_url_fetch": True}


def events_of(client: httpx.AsyncClient) -> EventPublisher:
    publisher: EventPublisher = client.app.state.container.events  # type: ignore[attr-defined]
    return publisher


async def hook(client: httpx.AsyncClient, token: str, url: str, **fields: Any) -> dict[str, Any]:
    made = await client.post(
        "/api/events/webhooks", headers=bearer(token), json={"url": url, **fields}
    )
    assert made.status_code == 200, made.text
    body: dict[str, Any] = made.json()
    return body


async def open_signup(client: httpx.AsyncClient, token: str) -> None:
    """The first sign-up closed sign-up; the admin opens it again."""
    config = (await client.get("/api/v1/auths/admin/config", headers=bearer(token))).json()
    saved = await client.post(
        "/api/v1/auths/admin/config", headers=bearer(token), json={**config, "ENABLE_SIGNUP": True}
    )
    assert saved.status_code == 200, saved.text


async def test_a_signup_reaches_the_webhooks_that_want_it(
    make_client: MakeClient, receiver: Receiver
) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        token = ada["token"]
        await hook(client, token, f"{receiver.base}/signup", events=["auth.signup"])
        await hook(client, token, f"{receiver.base}/chats", events=["chat.created"])
        await hook(client, token, f"{receiver.base}/off", enabled=False)
        await hook(client, token, f"{receiver.base}/users", events=["user.*"])
        await open_signup(client, token)
        everything = await hook(client, token, f"{receiver.base}/all")
        assert everything["events"] == ["*"]
        bea = await signup(client, "Bea")
        await events_of(client).drained()

    [post] = receiver.to("/signup")
    assert post.headers["content-type"] == "application/json"
    event = post.body
    assert set(event) == ENVELOPE
    assert (event["event"], event["resource"], event["operation"]) == ("auth.signup", "auth",
                                                                       "signup")  # fmt: skip
    assert event["actor"]["id"] == bea["id"] and event["actor"]["type"] == "user"
    assert event["actor"]["email"] == "bea@example.com" and event["actor"]["name"] == "Bea"
    assert set(event["actor"]) == {"id", "name", "email", "role", "created_at", "updated_at",
                                   "type"}  # fmt: skip
    assert event["subject"] == {"type": "user", "id": bea["id"]}
    assert event["data"] == {"email": "bea@example.com"} and event["source"] == "api"
    assert isinstance(event["created_at"], int) and event["schema"] == event["version"]
    assert receiver.to("/chats") == [] and receiver.to("/off") == []
    assert [p.event for p in receiver.to("/users")] == ["user.created"]
    assert receiver.to("/users")[0].body["data"] == {"role": "pending"}
    got = Counter(p.event for p in receiver.to("/all"))
    assert got == {"config.webhook.updated": 1, "user.created": 1, "auth.signup": 1,
                   "auth.login": 1}  # fmt: skip
    assert "password" not in str([p.body for p in receiver.posts])


async def test_slow_and_failing_receivers_do_not_hold_up_the_api(
    make_client: MakeClient, receiver: Receiver
) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        for path in ("/hang", "/fail", "/ok"):
            await hook(client, ada["token"], f"{receiver.base}{path}", events=["auth.login"])
        # Longer than the receiver holds: were delivery part of the request, the sign-in
        # would only answer once the hold ran out, and the held POST would show it.
        events_of(client).seconds = 60
        signin = await client.post(
            "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
        )
        assert signin.status_code == 200
        [held] = await receiver.wait_for("/hang")
        await receiver.wait_for("/ok")  # one slow receiver does not hold up the others
        assert held.released is None  # the sign-in answered while the POST was still held
        receiver.release()
        await events_of(client).drained()
        assert held.released is True
        assert [p.event for p in receiver.to("/fail")] == ["auth.login"]  # answered 500
        assert (await client.get("/api/v1/auths/", headers=bearer(ada["token"]))).status_code == 200


async def test_a_private_receiver_is_refused_at_delivery_unless_local_fetch_is_on(
    make_client: MakeClient, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        await hook(client, ada["token"], f"{receiver.base}/all")
        await events_of(client).drained()
    assert [p.event for p in receiver.posts] == ["config.webhook.updated"]
    # The same database and webhook, on a server where ENABLE_LOCAL_URL_FETCH is off.
    async with make_client() as client:
        caplog.set_level(logging.WARNING, "owlet.events.delivery")
        signin = await client.post(
            "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
        )
        assert signin.status_code == 200
        await events_of(client).drained()
    assert [p.event for p in receiver.posts] == ["config.webhook.updated"]
    assert "127.0.0.1 is a private address" in caplog.text


async def test_targets_pick_the_users_and_groups_an_event_concerns(
    make_client: MakeClient, receiver: Receiver
) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        uma = await add_user(client, ada["token"], "Uma")
        bea = await add_user(client, ada["token"], "Bea")
        group = (await client.post("/api/v1/groups/create", headers=headers,
                                   json={"name": "Crew"})).json()  # fmt: skip
        added = await client.post(f"/api/v1/groups/id/{group['id']}/users/add", headers=headers,
                                  json={"user_ids": [bea["id"]]})  # fmt: skip
        assert added.status_code == 200
        for path, targets in [("/uma", [{"type": "user", "id": uma["id"]}]),
                              ("/crew", [{"type": "group", "id": group["id"]}]),
                              ("/nobody", [])]:  # fmt: skip
            await hook(client, ada["token"], f"{receiver.base}{path}", events=["user.updated"],
                       targets=targets)  # fmt: skip
        for user in (uma, bea):
            updated = await client.post(f"/api/v1/users/{user['id']}/update", headers=headers,
                                        json={"name": user["name"] + "!"})  # fmt: skip
            assert updated.status_code == 200, updated.text
        await events_of(client).drained()
    assert [p.body["subject"]["id"] for p in receiver.to("/uma")] == [uma["id"]]
    assert [p.body["subject"]["id"] for p in receiver.to("/crew")] == [bea["id"]]
    assert receiver.to("/nobody") == []  # `[]`: only events that concern no account
    assert receiver.to("/uma")[0].body["data"] == {"updated_fields": ["name"]}


async def test_a_recorded_answer_sends_chat_created_and_finished(
    make_client: MakeClient,
    receiver: Receiver,
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
) -> None:
    async with make_client(**LOCAL, **gateway_settings(openai_up, ollama_up)) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await hook(client, ada["token"], f"{receiver.base}/chats", events=["chat.*"])
        reply = await client.post("/api/chat/completions", headers=headers, json={
            "model": "fake-gpt", "parent_id": None,
            "messages": [{"role": "user", "content": "Hi"}],
        })  # fmt: skip
        assert reply.status_code == 200, reply.text
        chat_id = reply.json()["chat_id"]
        deleted = await client.delete(f"/api/v1/chats/{chat_id}", headers=headers)
        assert deleted.status_code == 200
        await events_of(client).drained()
    by_name = {p.event: p.body for p in receiver.to("/chats")}
    assert sorted(by_name) == ["chat.created", "chat.deleted", "chat.finished"]
    finished = by_name["chat.finished"]
    assert finished["subject"] == {"type": "chat", "id": chat_id}
    assert finished["data"]["chat_id"] == chat_id and finished["data"]["user_id"] == ada["id"]
    assert finished["data"]["message"] == "Hello, world!"
    assert finished["data"]["model_id"] == "fake-gpt"
    assert finished["data"]["url"] == f"/c/{chat_id}"
    assert by_name["chat.created"]["subject"] == {"type": "chat", "id": chat_id}


FILTER = """
class Filter:
    def inlet(self, body: dict) -> dict:
        return body
"""


async def test_workspace_changes_are_sent(make_client: MakeClient, receiver: Receiver) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await hook(client, ada["token"], f"{receiver.base}/all",
                   events=["file.*", "knowledge.*", "model.*", "function.*"])  # fmt: skip
        kb = (await client.post("/api/v1/knowledge/create", headers=headers,
                                json={"name": "Keepers"})).json()  # fmt: skip
        await client.delete(f"/api/v1/knowledge/{kb['id']}/delete", headers=headers)
        upload = {"file": ("a.txt", b"hi", "text/plain")}
        file = (await client.post("/api/v1/files/", headers=headers, params={"process": "false"},
                                  files=upload)).json()  # fmt: skip
        await client.delete(f"/api/v1/files/{file['id']}", headers=headers)
        await client.post("/api/v1/models/create", headers=headers,
                          json={"id": "helper", "name": "Helper", "base_model_id": "x",
                                "meta": {}, "params": {}})  # fmt: skip
        await client.post("/api/v1/models/model/delete", headers=headers, json={"id": "helper"})
        await client.post("/api/v1/functions/create", headers=headers,
                          json={"id": "f", "name": "F", "content": FILTER, "meta": {}})  # fmt: skip
        await client.delete("/api/v1/functions/id/f/delete", headers=headers)
        await events_of(client).drained()
    got = Counter(p.event for p in receiver.to("/all"))
    assert got == {name: 1 for name in ("knowledge.created", "knowledge.deleted",
                   "file.uploaded", "file.deleted", "model.created", "model.deleted",
                   "function.created", "function.deleted")}  # fmt: skip
    uploaded = next(p.body for p in receiver.posts if p.event == "file.uploaded")
    assert uploaded["subject"] == {"type": "file", "id": file["id"]}
    assert uploaded["data"]["filename"] == "a.txt" and uploaded["data"]["size"] == 2


async def test_a_full_queue_drops_events_and_shutdown_does_not_wait_for_receivers(
    make_client: MakeClient, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        await hook(client, ada["token"], f"{receiver.base}/hang", events=["notification.manual"])
        container = client.app.state.container  # type: ignore[attr-defined]
        small = EventPublisher(container.config, container.egress, container.sessionmaker,
                               workers=1, queue=1, seconds=60)  # fmt: skip
        small.start()
        caplog.set_level(logging.WARNING, "owlet.events.delivery")
        for _ in range(3):
            small.publish(None, "notification.manual")
        await receiver.wait_for("/hang")
        await small.close()  # returns, though the receiver still holds the one POST sent
    assert len(receiver.to("/hang")) == 1 and receiver.to("/hang")[0].released is None
    assert caplog.text.count("notification.manual dropped") == 2


async def test_a_change_rolled_back_sends_nothing(
    make_client: MakeClient, receiver: Receiver
) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        await hook(client, ada["token"], f"{receiver.base}/notes", events=["notification.*"])
        container = client.app.state.container  # type: ignore[attr-defined]
        async with container.sessionmaker() as session:
            await session.execute(text("SELECT 1"))  # a transaction has begun, as in a request
            container.events.publish(session, "notification.test")
            await session.rollback()
            await session.commit()  # a later commit of the same session sends nothing either
            container.events.publish(session, "notification.manual")
            await session.commit()
        await events_of(client).drained()
    assert [p.event for p in receiver.posts] == ["notification.manual"]
