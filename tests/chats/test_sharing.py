"""Share links, clone, fork, import and the NDJSON export, through HTTP."""

from __future__ import annotations

import json

import httpx

from tests.chats.support import branchy, message, new_chat
from tests.support import add_user, bearer, signup

ANYONE = [{"principal_type": "anyone", "principal_id": "*", "permission": "read"}]


async def test_share_links(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    eve = await add_user(client, ada["token"], "Eve")
    as_uma = bearer(uma["token"])
    chat = await new_chat(client, uma["token"])
    shared = (await client.post(f"/api/v1/chats/{chat['id']}/share", headers=as_uma)).json()
    share_id = shared["share_id"]
    assert share_id and share_id != chat["id"]
    link = f"/api/v1/chats/share/{share_id}"
    # Not open yet: the owner reads it, strangers and anonymous callers get 404.
    assert (await client.get(link, headers=as_uma)).json()["chat"] == chat["chat"]
    assert (await client.get(link)).status_code == 404
    assert (await client.get(link, headers=bearer(eve["token"]))).status_code == 404
    # A user grant opens it to Eve; only the owner (or admin) sees the grants.
    grant = [{"principal_type": "user", "principal_id": eve["id"], "permission": "read"}]
    await client.post(
        f"/api/v1/chats/shared/{chat['id']}/access/update",
        headers=as_uma,
        json={"access_grants": grant},
    )
    assert (await client.get(link, headers=bearer(eve["token"]))).status_code == 200
    access = (await client.get(f"/api/v1/chats/shared/{chat['id']}/access", headers=as_uma)).json()
    assert [(g["principal_type"], g["principal_id"]) for g in access] == [("user", eve["id"])]
    # Open links need `sharing.open_chats`, which users lack by default: dropped silently.
    await client.post(
        f"/api/v1/chats/shared/{chat['id']}/access/update",
        headers=as_uma,
        json={"access_grants": ANYONE},
    )
    assert (await client.get(link)).status_code == 404
    await client.post(
        f"/api/v1/chats/shared/{chat['id']}/access/update",
        headers=bearer(ada["token"]),
        json={"access_grants": ANYONE},
    )
    opened = await client.get(link)
    assert opened.status_code == 200 and opened.json()["chat"] == chat["chat"]
    # The snapshot is frozen until shared again.
    await client.post(
        f"/api/v1/chats/{chat['id']}", headers=as_uma, json={"chat": {"title": "Renamed"}}
    )
    assert (await client.get(link)).json()["title"] == "A branchy chat"
    again = await client.post(f"/api/v1/chats/{chat['id']}/share", headers=as_uma)
    assert again.json()["share_id"] == share_id
    assert (await client.get(link)).json()["title"] == "Renamed"
    listed = (await client.get("/api/v1/chats/shared", headers=as_uma)).json()
    assert [(s["id"], s["title"]) for s in listed] == [(share_id, "Renamed")]
    # Anyone who can read it may clone it.
    cloned = await client.post(
        f"/api/v1/chats/{share_id}/clone/shared", headers=bearer(eve["token"])
    )
    assert cloned.status_code == 200 and cloned.json()["user_id"] == eve["id"]
    assert cloned.json()["chat"]["originalChatId"] == share_id
    # Unsharing removes the link and its grants.
    assert (await client.delete(f"/api/v1/chats/{chat['id']}/share", headers=as_uma)).json() is True
    assert (await client.get(link)).status_code == 404
    assert (await client.get(f"/api/v1/chats/{chat['id']}", headers=as_uma)).json()[
        "share_id"
    ] is None
    assert (
        await client.delete(f"/api/v1/chats/{chat['id']}/share", headers=as_uma)
    ).json() is False


async def test_clone_and_fork(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    chat = await new_chat(client, ada["token"])
    clone = (
        await client.post(f"/api/v1/chats/{chat['id']}/clone", headers=headers, json={})
    ).json()
    assert clone["id"] != chat["id"] and clone["title"] == "Clone of A branchy chat"
    assert clone["chat"]["history"] == chat["chat"]["history"]
    assert clone["chat"]["originalChatId"] == chat["id"]
    named = await client.post(
        f"/api/v1/chats/{chat['id']}/clone", headers=headers, json={"title": "B"}
    )
    assert named.json()["title"] == "B"

    fork = await client.post(
        f"/api/v1/chats/{chat['id']}/fork", headers=headers, json={"message_id": "a2"}
    )
    assert fork.status_code == 200, fork.text
    body = fork.json()
    assert body["title"] == "A branchy chat (fork)"
    assert list(body["chat"]["history"]["messages"]) == ["u1", "a2"]
    assert body["chat"]["history"]["currentId"] == "a2"
    assert [m["id"] for m in body["chat"]["messages"]] == ["u1", "a2"]
    assert (
        body["meta"]["forked_from"] == chat["id"] and body["meta"]["forked_from_message_id"] == "a2"
    )
    assert body["chat"]["branchPointMessageId"] == "a2"
    default = await client.post(f"/api/v1/chats/{chat['id']}/fork", headers=headers, json={})
    assert len(default.json()["chat"]["history"]["messages"]) == 4  # up to the current a3
    unknown = await client.post(
        f"/api/v1/chats/{chat['id']}/fork", headers=headers, json={"message_id": "zz"}
    )
    assert unknown.status_code == 404 and unknown.json()["detail"] == "message not found"
    empty = await new_chat(client, ada["token"], {"title": "empty"})
    nothing = await client.post(f"/api/v1/chats/{empty['id']}/fork", headers=headers, json={})
    assert nothing.status_code == 400


async def test_import_and_export_thousands(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    folder = (await client.post("/api/v1/folders/", headers=headers, json={"name": "F"})).json()
    items = [
        {
            "chat": {**branchy(), "title": f"imported {i}"},
            "meta": {"tags": ["imported"]},
            "pinned": i == 0,
            "folder_id": folder["id"] if i == 1 else "not-mine",
            "created_at": 1_700_000_000 + i,
            "updated_at": 1_700_000_000 + i,
        }
        for i in range(2500)
    ]
    imported = await client.post("/api/v1/chats/import", headers=headers, json={"chats": items})
    assert imported.status_code == 200, imported.text[:300]
    body = imported.json()
    assert (
        len(body) == 2500 and body[0]["pinned"] is True and body[0]["meta"]["tags"] == ["imported"]
    )
    assert body[1]["folder_id"] == folder["id"] and body[2]["folder_id"] is None
    assert body[5]["created_at"] == 1_700_000_005

    seen = 0
    async with client.stream("GET", "/api/v1/chats/all", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        async for line in response.aiter_lines():
            if line:
                chat = json.loads(line)
                assert chat["user_id"] == ada["id"] and chat["chat"]["history"]["currentId"] == "a3"
                seen += 1
    assert seen == 2500

    uma = await add_user(client, ada["token"], "Uma")
    restricted = await client.get("/api/v1/users/default/permissions", headers=headers)
    permissions = restricted.json()
    permissions["chat"]["import"] = False
    await client.post("/api/v1/users/default/permissions", headers=headers, json=permissions)
    refused = await client.post(
        "/api/v1/chats/import", headers=bearer(uma["token"]), json={"chats": items[:1]}
    )
    assert refused.status_code == 403


async def test_an_imported_chat_answers_as_it_reads_back(client: httpx.AsyncClient) -> None:
    # The import answers from the rows it wrote (no read per chat): the same as a later GET,
    # with a message id sent twice kept once (the later copy, in the first one's place), the
    # tags in order, and the next message appended after the imported ones.
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    first, answer = message("q", None, "user", "first"), message("r", "q", "assistant", "hi")
    again = message("q", None, "user", "edited")
    chat = {"title": "Twice", "history": {"currentId": "r", "messages": {"q": first, "r": answer}}}
    chat["messages"] = [first, answer, again]  # a repeated id in the linear list
    item = {"chat": chat, "meta": {"tags": ["zeta", "Alpha", "zeta", " "]}}
    imported = await client.post("/api/v1/chats/import", headers=headers, json={"chats": [item]})
    assert imported.status_code == 200, imported.text
    (made,) = imported.json()
    read = (await client.get(f"/api/v1/chats/{made['id']}", headers=headers)).json()
    for key in ("context_usage", "share_mode"):  # what only a chat's own GET adds
        read.pop(key, None), made.pop(key, None), read["chat"].pop(key, None)
    assert made == read
    assert made["meta"]["tags"] == ["alpha", "zeta"]
    extra = {"history": {"currentId": "s", "messages": {"s": message("s", "r", "user", "more")}}}
    updated = await client.post(f"/api/v1/chats/{made['id']}", headers=headers,
                                json={"chat": extra})  # fmt: skip
    assert updated.status_code == 200, updated.text
    history = updated.json()["chat"]["history"]["messages"]
    assert list(history) == ["q", "r", "s"] and history["r"]["childrenIds"] == ["s"]
