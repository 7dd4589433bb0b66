"""`/api/v1/chats` through HTTP: round-trips, merges, messages, lists, tags, search."""

from __future__ import annotations

import copy

import httpx

from tests.chats.support import as_read, authored, branchy, build, message, new_chat
from tests.support import bearer, signup


async def test_a_branchy_chat_round_trips_exactly(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    sent = branchy()
    made = await new_chat(client, ada["token"], sent)
    assert made["id"] != sent["id"] and made["title"] == "A branchy chat"
    assert made["chat"] == authored(sent, ada)
    fetched = await client.get(f"/api/v1/chats/{made['id']}", headers=bearer(ada["token"]))
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["chat"] == as_read(authored(sent, ada)) and body["current_message_id"] == "a3"
    assert body["user_id"] == ada["id"] and body["archived"] is False
    assert body["meta"] == {}
    # A chat without history or with a linear list that is not the path is kept as sent.
    odd = {"title": "Plain", "messages": [{"role": "user", "content": "hi"}], "x": None}
    plain = await new_chat(client, ada["token"], odd)
    assert plain["chat"] == authored(odd, ada)


async def test_update_merges_shallowly_and_per_message(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    made = await new_chat(client, ada["token"])
    url, headers = f"/api/v1/chats/{made['id']}", bearer(ada["token"])

    renamed = (await client.post(url, headers=headers, json={"chat": {"title": "Everest"}})).json()
    assert renamed["title"] == "Everest" and renamed["chat"]["title"] == "Everest"
    assert renamed["chat"]["history"] == made["chat"]["history"]
    assert renamed["updated_at"] == made["updated_at"]  # no history change: not touched

    a4 = message("a4", "a3", "assistant", "Roughly 29,032 feet.", model="fake-gpt")
    appended = await client.post(
        url,
        headers=headers,
        json={"chat": {"history": {"messages": {"a4": a4}, "currentId": "a4"}}},
    )
    chat = appended.json()["chat"]
    assert list(chat["history"]["messages"]) == ["u1", "a1", "a2", "u2", "a3", "a4"]
    assert chat["history"]["messages"]["a3"]["childrenIds"] == ["a4"]
    assert chat["history"]["currentId"] == "a4"
    assert [m["id"] for m in chat["messages"]] == ["u1", "a2", "u2", "a3", "a4"]
    assert chat["x_client_state"] == {"sidebar": "open"}

    # Incoming wins per id; stale childrenIds are rebuilt from parentId.
    edited = copy.deepcopy(chat["history"]["messages"]["a1"])
    edited["content"], edited["childrenIds"] = "K2 is second.", ["nonsense"]
    again = await client.post(
        url, headers=headers, json={"chat": {"history": {"messages": {"a1": edited}}}}
    )
    messages = again.json()["chat"]["history"]["messages"]
    assert messages["a1"]["content"] == "K2 is second." and messages["a1"]["childrenIds"] == []
    assert again.json()["chat"]["history"]["currentId"] == "a4"

    # An unknown currentId falls back to the newest message.
    dangling = await client.post(
        url, headers=headers, json={"chat": {"history": {"currentId": "missing"}}}
    )
    assert dangling.json()["chat"]["history"]["currentId"] == "a4"
    bad = await client.post(url, headers=headers, json={"chat": "not an object"})
    assert bad.status_code == 422


async def test_message_update_and_delete(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    made = await new_chat(client, ada["token"])
    base, headers = f"/api/v1/chats/{made['id']}/messages", bearer(ada["token"])
    updated = await client.post(f"{base}/a1", headers=headers, json={"content": "K2."})
    assert updated.json()["chat"]["history"]["messages"]["a1"]["content"] == "K2."
    missing = await client.post(f"{base}/nope", headers=headers, json={"content": "x"})
    assert missing.status_code == 404

    # Deleting u2 removes it and its reply a3; nothing below them is lost.
    await client.post(
        f"/api/v1/chats/{made['id']}",
        headers=headers,
        json={"chat": {"history": {"messages": {"u3": message("u3", "a3", "user", "More?")}}}},
    )
    deleted = await client.delete(f"{base}/u2", headers=headers)
    assert deleted.status_code == 200, deleted.text
    chat = deleted.json()["chat"]
    assert set(chat["history"]["messages"]) == {"u1", "a1", "a2", "u3"}
    assert chat["history"]["messages"]["u3"]["parentId"] == "a2"
    assert chat["history"]["messages"]["a2"]["childrenIds"] == ["u3"]
    assert chat["history"]["currentId"] == "u3"  # last leaf of the parent's last branch


async def test_list_pages_pins_archives_and_folders(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    for i in range(61):
        await new_chat(client, ada["token"], {"title": f"chat {i}"})
    page1 = (await client.get("/api/v1/chats/?page=1", headers=headers)).json()
    page2 = (await client.get("/api/v1/chats/?page=2", headers=headers)).json()
    page3 = (await client.get("/api/v1/chats/?page=3", headers=headers)).json()
    assert (len(page1), len(page2), page3) == (60, 1, [])
    assert set(page1[0]) == {
        "id", "title", "updated_at", "created_at", "last_read_at", "snippet", "active", "archived"
    }  # fmt: skip
    everything = (await client.get("/api/v1/chats/", headers=headers)).json()
    assert len(everything) == 61
    window = (await client.get("/api/v1/chats/?skip=59&limit=5", headers=headers)).json()
    assert [c["id"] for c in window] == [c["id"] for c in everything[59:]]
    assert (await client.get("/api/v1/chats/?page=0", headers=headers)).status_code == 422

    first = everything[0]["id"]
    await client.post(f"/api/v1/chats/{first}/pin", headers=headers)
    assert (await client.get(f"/api/v1/chats/{first}/pinned", headers=headers)).json() is True
    listed = {c["id"] for c in (await client.get("/api/v1/chats/", headers=headers)).json()}
    assert first not in listed
    pinned = (await client.get("/api/v1/chats/pinned", headers=headers)).json()
    assert [c["id"] for c in pinned] == [first]
    with_pins = await client.get("/api/v1/chats/?include_pinned=true", headers=headers)
    assert first in {c["id"] for c in with_pins.json()}

    second = everything[1]["id"]
    await client.post(f"/api/v1/chats/{second}/archive", headers=headers)
    assert (await client.get("/api/v1/chats/archived/count", headers=headers)).json() == 1
    archived = (await client.get("/api/v1/chats/archived", headers=headers)).json()
    assert [c["id"] for c in archived] == [second]
    await client.post("/api/v1/chats/archive/all", headers=headers)
    assert (await client.get("/api/v1/chats/archived/count", headers=headers)).json() == 61
    await client.post("/api/v1/chats/unarchive/all", headers=headers)
    assert (await client.get("/api/v1/chats/archived/count", headers=headers)).json() == 0

    folder = (await client.post("/api/v1/folders/", headers=headers, json={"name": "Work"})).json()
    moved = await client.post(
        f"/api/v1/chats/{second}/folder", headers=headers, json={"folder_id": folder["id"]}
    )
    assert moved.json()["folder_id"] == folder["id"]
    assert second not in {
        c["id"] for c in (await client.get("/api/v1/chats/", headers=headers)).json()
    }
    in_folder = await client.get(f"/api/v1/chats/folder/{folder['id']}/list", headers=headers)
    assert [c["id"] for c in in_folder.json()] == [second]

    assert (await client.delete(f"/api/v1/chats/{first}", headers=headers)).json() is True
    assert (await client.get(f"/api/v1/chats/{first}", headers=headers)).status_code == 404
    assert (await client.delete("/api/v1/chats/", headers=headers)).json() is True
    assert (await client.get("/api/v1/chats/", headers=headers)).json() == []


async def test_tags(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    one = await new_chat(client, ada["token"], {"title": "one"})
    two = await new_chat(client, ada["token"], {"title": "two"})
    added = await client.post(
        f"/api/v1/chats/{one['id']}/tags", headers=headers, json={"name": "Deep Work"}
    )
    assert added.json() == [
        {"id": "deep_work", "name": "Deep Work", "user_id": ada["id"], "meta": None}
    ]
    await client.post(
        f"/api/v1/chats/{two['id']}/tags", headers=headers, json={"name": "deep work"}
    )
    none = await client.post(
        f"/api/v1/chats/{two['id']}/tags", headers=headers, json={"name": "None"}
    )
    assert none.status_code == 400 and none.json()["detail"] == "[ERROR: Tag name cannot be 'None']"
    chat = (await client.get(f"/api/v1/chats/{one['id']}", headers=headers)).json()
    assert chat["meta"]["tags"] == ["deep_work"]
    tagged = await client.post("/api/v1/chats/tags", headers=headers, json={"name": "Deep Work"})
    assert {c["id"] for c in tagged.json()} == {one["id"], two["id"]}
    assert [
        t["id"] for t in (await client.get("/api/v1/chats/all/tags", headers=headers)).json()
    ] == ["deep_work"]
    for chat_id in (one["id"], two["id"]):
        left = await client.request(
            "DELETE", f"/api/v1/chats/{chat_id}/tags", headers=headers, json={"name": "Deep Work"}
        )
        assert left.json() == []
    assert (await client.get("/api/v1/chats/all/tags", headers=headers)).json() == []


async def test_search_filters(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    everest = await new_chat(client, ada["token"])  # mentions Everest in a message only
    tagged = await new_chat(client, ada["token"], {"title": "Tagged notes"})
    await client.post(f"/api/v1/chats/{tagged['id']}/tags", headers=headers, json={"name": "trip"})
    pinned = await new_chat(client, ada["token"], {"title": "Pinned notes"})
    await client.post(f"/api/v1/chats/{pinned['id']}/pin", headers=headers)
    archived = await new_chat(client, ada["token"], {"title": "Old notes"})
    await client.post(f"/api/v1/chats/{archived['id']}/archive", headers=headers)
    shared = await new_chat(client, ada["token"], {"title": "Shared notes"})
    await client.post(f"/api/v1/chats/{shared['id']}/share", headers=headers)
    folder = (await client.post("/api/v1/folders/", headers=headers, json={"name": "Trips"})).json()
    filed = await new_chat(
        client, ada["token"], {"title": "Filed 100%_notes"}, folder_id=folder["id"]
    )

    async def found(text: str) -> set[str]:
        response = await client.get("/api/v1/chats/search", headers=headers, params={"text": text})
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()}

    assert await found("everest") == {everest["id"]}  # message content, case-insensitive
    assert await found("NOTES") == {tagged["id"], pinned["id"], shared["id"], filed["id"]}
    assert await found("tag:trip") == {tagged["id"]}
    assert everest["id"] in await found("tag:none") and tagged["id"] not in await found("tag:none")
    assert await found("pinned:true") == {pinned["id"]}
    assert await found("archived:true") == {archived["id"]}
    assert await found("shared:true") == {shared["id"]}
    assert await found("folder:trips") == {filed["id"]}
    assert await found("folder:trips notes") == {filed["id"]}
    assert await found("100%_") == {filed["id"]}  # LIKE wildcards are literal
    assert await found("pinned:false notes") == {tagged["id"], shared["id"], filed["id"]}
    assert await found("zebra") == set()
    assert (await client.get("/api/v1/chats/search", headers=headers)).status_code == 422


async def test_linear_messages_follow_the_current_branch(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    made = await new_chat(client, ada["token"])
    switched = await client.post(
        f"/api/v1/chats/{made['id']}",
        headers=bearer(ada["token"]),
        json={"chat": build(list(made["chat"]["history"]["messages"].values()), "a1")},
    )
    chat = switched.json()["chat"]
    assert chat["history"]["currentId"] == "a1"
    assert [m["id"] for m in chat["messages"]] == ["u1", "a1"]
