"""Event webhooks for the account, group, chat, folder and workspace changes: each test drives
the HTTP API and checks, with a real loopback receiver, exactly which events arrived."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient
from tests.events.test_delivery import LOCAL, events_of, hook
from tests.fakes.receiver import Post, Receiver
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.retrieval.test_rag import EVEREST, upload
from tests.support import PASSWORD, add_user, bearer, signup


def by_name(posts: list[Post]) -> dict[str, dict[str, Any]]:
    """The last body of each event name."""
    return {p.event: p.body for p in posts}


async def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_account_events(make_client: MakeClient, receiver: Receiver) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        uma = await add_user(client, ada["token"], "Uma")
        await hook(client, ada["token"], f"{receiver.base}/all",
                   events=["auth.*", "user.settings_updated"])  # fmt: skip
        await ok(await client.post("/api/v1/auths/api_key", headers=headers))
        await ok(await client.delete("/api/v1/auths/api_key", headers=headers))
        await ok(await client.delete("/api/v1/auths/api_key", headers=headers))  # none left
        await ok(await client.post("/api/v1/users/user/settings/update", headers=headers,
                                   json={"ui": {"theme": "dark"}}))  # fmt: skip
        wrong = {"password": "nope", "new_password": "new-password-1"}
        refused = await client.post("/api/v1/auths/update/password", headers=headers, json=wrong)
        assert refused.status_code == 400
        mine = {"password": PASSWORD, "new_password": "new-password-1"}
        await ok(await client.post("/api/v1/auths/update/password", headers=headers, json=mine))
        await ok(await client.post(f"/api/v1/users/{uma['id']}/update", headers=headers,
                                   json={"password": "reset-password-2"}))  # fmt: skip
        await ok(await client.post("/api/v1/auths/signout", headers=headers))
        await events_of(client).drained()
    posts = receiver.to("/all")
    assert Counter(p.event for p in posts) == {
        "auth.api_key.created": 1, "auth.api_key.deleted": 1, "user.settings_updated": 1,
        "auth.password_changed": 2, "auth.logout": 1,
    }  # fmt: skip
    changed = {p.body["subject"]["id"]: p.body for p in posts if p.event == "auth.password_changed"}
    own, reset = changed[ada["id"]], changed[uma["id"]]
    assert own["subject"] == {"type": "user", "id": ada["id"]} and own["data"] == {}
    assert reset["subject"] == {"type": "user", "id": uma["id"]}
    assert reset["actor"]["id"] == ada["id"] and reset["source"] == "admin"
    got = by_name(posts)
    assert got["auth.logout"]["actor"]["id"] == ada["id"]
    assert got["user.settings_updated"]["data"] == {"updated_fields": ["ui"]}
    assert "api_key" not in str(got["auth.api_key.created"]["data"])
    assert "new-password" not in str([p.body for p in posts])


async def test_group_events(make_client: MakeClient, receiver: Receiver) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        bea = await add_user(client, ada["token"], "Bea")
        await hook(client, ada["token"], f"{receiver.base}/groups", events=["group.*"])
        group = await ok(await client.post("/api/v1/groups/create", headers=headers,
                                           json={"name": "Crew"}))  # fmt: skip
        url = f"/api/v1/groups/id/{group['id']}"
        await ok(await client.post(f"{url}/update", headers=headers,
                                   json={"name": "Crew 2", "description": "d"}))  # fmt: skip
        for _ in range(2):  # the second adds no one, and says nothing
            await ok(await client.post(f"{url}/users/add", headers=headers,
                                       json={"user_ids": [bea["id"], "nobody"]}))  # fmt: skip
        for _ in range(2):
            await ok(await client.post(f"{url}/users/remove", headers=headers,
                                       json={"user_ids": [bea["id"]]}))  # fmt: skip
        await ok(await client.delete(f"{url}/delete", headers=headers))
        await events_of(client).drained()
    posts = receiver.to("/groups")
    assert Counter(p.event for p in posts) == {name: 1 for name in (
        "group.created", "group.updated", "group.member_added", "group.member_removed",
        "group.deleted")}  # fmt: skip
    got = by_name(posts)
    assert got["group.created"]["subject"] == {"type": "group", "id": group["id"]}
    assert got["group.updated"]["data"] == {"name": "Crew 2",
                                            "updated_fields": ["description", "name"]}  # fmt: skip
    assert got["group.member_added"]["data"] == {"name": "Crew 2", "user_ids": [bea["id"]]}
    assert got["group.member_removed"]["data"]["user_ids"] == [bea["id"]]


async def test_chat_and_folder_events(make_client: MakeClient, receiver: Receiver) -> None:
    async with make_client(**LOCAL) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await hook(client, ada["token"], f"{receiver.base}/all", events=["chat.*", "folder.*"])
        chats = "/api/v1/chats"
        chat = await ok(await client.post(f"{chats}/new", headers=headers,
                                          json={"chat": {"title": "Plans"}}))  # fmt: skip
        one = f"{chats}/{chat['id']}"
        await ok(await client.post(one, headers=headers, json={"chat": {"title": "Secret"}}))
        for action, expected in [("pin", "chat.pinned"), ("pin", "chat.unpinned"),
                                 ("archive", "chat.archived"), ("archive", "chat.unarchived"),
                                 ("share", "chat.shared")]:  # fmt: skip
            await events_of(client).drained()
            await ok(await client.post(f"{one}/{action}", headers=headers))
            await events_of(client).drained()
            assert receiver.posts[-1].event == expected
        await ok(await client.delete(f"{one}/share", headers=headers))
        await ok(await client.delete(f"{one}/share", headers=headers))  # not shared: no event
        clone = await ok(await client.post(f"{one}/clone", headers=headers, json={}))
        items = [{"chat": {"title": "A"}}, {"chat": {"title": "B"}}]
        imported = await ok(await client.post(f"{chats}/import", headers=headers,
                                              json={"chats": items}))  # fmt: skip
        for _ in range(2):  # a tag already on the chat is not added again
            await ok(await client.post(f"{one}/tags", headers=headers, json={"name": "Work"}))
        for _ in range(2):
            await client.request("DELETE", f"{one}/tags", headers=headers, json={"name": "Work"})
        folder = await ok(await client.post("/api/v1/folders/", headers=headers,
                                            json={"name": "Box"}))  # fmt: skip
        await ok(await client.post(f"{one}/folder", headers=headers,
                                   json={"folder_id": folder["id"]}))  # fmt: skip
        await ok(await client.post(f"/api/v1/folders/{folder['id']}/update", headers=headers,
                                   json={"name": "Crate"}))  # fmt: skip
        await ok(await client.delete(f"/api/v1/folders/{folder['id']}", headers=headers,
                                     params={"delete_contents": "false"}))  # fmt: skip
        await events_of(client).drained()
    posts = receiver.to("/all")
    assert Counter(p.event for p in posts) == {
        "chat.created": 1, "chat.updated": 1, "chat.pinned": 1, "chat.unpinned": 1,
        "chat.archived": 1, "chat.unarchived": 1, "chat.shared": 1, "chat.unshared": 1,
        "chat.cloned": 1, "chat.imported": 1, "chat.tag_added": 1, "chat.tag_removed": 1,
        "chat.folder_updated": 1, "folder.created": 1, "folder.updated": 1, "folder.deleted": 1,
    }  # fmt: skip
    got = by_name(posts)
    updated = got["chat.updated"]
    assert updated["subject"] == {"type": "chat", "id": chat["id"]}
    assert updated["data"] == {"user_id": ada["id"], "title": "Secret",
                               "updated_fields": ["title"]}  # fmt: skip
    assert got["chat.cloned"]["subject"]["id"] == clone["id"]
    assert got["chat.cloned"]["data"]["original_chat_id"] == chat["id"]
    assert got["chat.imported"]["data"]["chat_ids"] == [c["id"] for c in imported]
    assert got["chat.imported"]["subject"] is None
    assert got["chat.tag_added"]["data"]["tag"] == "Work"
    assert got["chat.folder_updated"]["data"]["folder_id"] == folder["id"]
    assert got["folder.updated"]["data"] == {"user_id": ada["id"], "name": "Crate",
                                             "updated_fields": ["name"]}  # fmt: skip
    assert got["folder.deleted"]["subject"] == {"type": "folder", "id": folder["id"]}


VALVED = """
from pydantic import BaseModel

class Filter:
    class Valves(BaseModel):
        priority: int = 0

    def __init__(self):
        self.valves = self.Valves()

    def inlet(self, body: dict) -> dict:
        return body
"""


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def test_workspace_update_events(
    make_client: MakeClient, receiver: Receiver, gw: dict[str, object]
) -> None:
    async with make_client(**LOCAL, **gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await hook(client, ada["token"], f"{receiver.base}/all",
                   events=["model.updated", "function.*", "knowledge.*"])  # fmt: skip
        model = {"id": "helper", "name": "Helper", "base_model_id": "x", "meta": {}, "params": {}}
        await ok(await client.post("/api/v1/models/create", headers=headers, json=model))
        await ok(await client.post("/api/v1/models/model/update", headers=headers,
                                   json={**model, "name": "Helper 2"}))  # fmt: skip
        fn = {"id": "f", "name": "F", "content": VALVED, "meta": {}}
        await ok(await client.post("/api/v1/functions/create", headers=headers, json=fn))
        await ok(await client.post("/api/v1/functions/id/f/update", headers=headers,
                                   json={**fn, "name": "F2"}))  # fmt: skip
        for expected in ("function.enabled", "function.disabled"):  # created inactive
            await events_of(client).drained()
            await ok(await client.post("/api/v1/functions/id/f/toggle", headers=headers))
            await events_of(client).drained()
            assert receiver.posts[-1].event == expected
        await ok(await client.post("/api/v1/functions/id/f/valves/update", headers=headers,
                                   json={"priority": 3}))  # fmt: skip
        kb = await ok(await client.post("/api/v1/knowledge/create", headers=headers,
                                        json={"name": "K"}))  # fmt: skip
        url = f"/api/v1/knowledge/{kb['id']}"
        await ok(await client.post(f"{url}/update", headers=headers,
                                   json={"name": "K2", "description": "d"}))  # fmt: skip
        file_id = await upload(client, ada["token"], "e.txt", EVEREST,
                               process_in_background="false")  # fmt: skip
        await ok(await client.post(f"{url}/file/add", headers=headers, json={"file_id": file_id}))
        for _ in range(2):  # the second finds nothing to take out
            await ok(await client.post(f"{url}/file/remove", headers=headers,
                                       json={"file_id": file_id}))  # fmt: skip
        await ok(await client.post(f"{url}/reset", headers=headers))
        await events_of(client).drained()
    posts = receiver.to("/all")
    assert Counter(p.event for p in posts) == {
        "model.updated": 1, "function.created": 1, "function.updated": 1,
        "function.enabled": 1, "function.disabled": 1, "function.valves_updated": 1,
        "knowledge.created": 1, "knowledge.updated": 1, "knowledge.file.added": 1,
        "knowledge.file.removed": 1, "knowledge.reset": 1,
    }  # fmt: skip
    got = by_name(posts)
    assert got["model.updated"]["subject"] == {"type": "model", "id": "helper"}
    assert got["model.updated"]["data"]["name"] == "Helper 2"
    assert got["function.valves_updated"]["data"] == {"name": "F2", "type": "filter"}
    added = got["knowledge.file.added"]
    assert added["subject"] == {"type": "knowledge", "id": kb["id"]}
    assert added["data"] == {"user_id": ada["id"], "name": "K2", "file_id": file_id,
                             "filename": "e.txt"}  # fmt: skip
    assert got["knowledge.file.removed"]["data"]["file_deleted"] is True  # delete_file=true
