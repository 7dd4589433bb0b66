"""IDOR: another user's chat, message, folder or share is answered 404 on every id route,
its content never shows, and nothing of it changes."""

from __future__ import annotations

import httpx

from tests.chats.support import as_read, new_chat
from tests.support import add_user, bearer, signup

CHAT_ROUTES = (
    ("GET", "/api/v1/chats/{chat}", None),
    ("POST", "/api/v1/chats/{chat}", {"chat": {"title": "pwned"}}),
    ("DELETE", "/api/v1/chats/{chat}", None),
    ("GET", "/api/v1/chats/{chat}/pinned", None),
    ("POST", "/api/v1/chats/{chat}/pin", None),
    ("POST", "/api/v1/chats/{chat}/archive", None),
    ("POST", "/api/v1/chats/{chat}/fork", {}),
    ("POST", "/api/v1/chats/{chat}/clone", {}),
    ("POST", "/api/v1/chats/{chat}/share", None),
    ("DELETE", "/api/v1/chats/{chat}/share", None),
    ("POST", "/api/v1/chats/{chat}/folder", {"folder_id": None}),
    ("GET", "/api/v1/chats/{chat}/tags", None),
    ("POST", "/api/v1/chats/{chat}/tags", {"name": "x"}),
    ("DELETE", "/api/v1/chats/{chat}/tags", {"name": "x"}),
    ("POST", "/api/v1/chats/{chat}/messages/u1", {"content": "pwned"}),
    ("DELETE", "/api/v1/chats/{chat}/messages/u1", None),
    ("GET", "/api/v1/chats/shared/{chat}/access", None),
    ("POST", "/api/v1/chats/shared/{chat}/access/update", {"access_grants": []}),
    ("POST", "/api/v1/chats/{share}/clone/shared", None),
    ("GET", "/api/v1/chats/share/{share}", None),
    ("GET", "/api/v1/chats/folder/{folder}", None),
    ("GET", "/api/v1/chats/folder/{folder}/list", None),
    ("GET", "/api/v1/folders/{folder}", None),
    ("POST", "/api/v1/folders/{folder}/update", {"name": "pwned"}),
    ("POST", "/api/v1/folders/{folder}/update/parent", {"parent_id": None}),
    ("POST", "/api/v1/folders/{folder}/update/expanded", {"is_expanded": True}),
    ("GET", "/api/v1/folders/{folder}/shared/chats", None),
    ("POST", "/api/v1/folders/{folder}/read", None),
    ("DELETE", "/api/v1/folders/{folder}", None),
)


async def test_other_users_objects_are_404_everywhere(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    eve = await add_user(client, ada["token"], "Eve")
    as_uma, as_eve = bearer(uma["token"]), bearer(eve["token"])
    folder = (await client.post("/api/v1/folders/", headers=as_uma, json={"name": "Mine"})).json()
    chat = await new_chat(client, uma["token"], folder_id=folder["id"])
    await client.post(f"/api/v1/chats/{chat['id']}/tags", headers=as_uma, json={"name": "x"})
    share = (await client.post(f"/api/v1/chats/{chat['id']}/share", headers=as_uma)).json()
    before = (await client.get(f"/api/v1/chats/{chat['id']}", headers=as_uma)).json()

    ids = {"{chat}": chat["id"], "{share}": share["share_id"], "{folder}": folder["id"]}
    for method, template, body in CHAT_ROUTES:
        path = template
        for key, value in ids.items():
            path = path.replace(key, value)
        response = await client.request(method, path, headers=as_eve, json=body)
        assert response.status_code == 404, f"{method} {template}: {response.status_code}"
        assert "Everest" not in response.text and "Mine" not in response.text

    after = (await client.get(f"/api/v1/chats/{chat['id']}", headers=as_uma)).json()
    assert after == before
    # Nothing of Uma's shows in Eve's lists or searches.
    for path in ("/api/v1/chats/", "/api/v1/chats/pinned", "/api/v1/chats/shared",
                 "/api/v1/chats/all/tags", "/api/v1/folders/"):  # fmt: skip
        assert (await client.get(path, headers=as_eve)).json() == [], path
    found = await client.get("/api/v1/chats/search", headers=as_eve, params={"text": "everest"})
    assert found.json() == []
    exported = await client.get("/api/v1/chats/all", headers=as_eve)
    assert exported.text == ""
    # Eve cannot file her chat into Uma's folder, nor create a folder under it.
    own = await new_chat(client, eve["token"], {"title": "eve"})
    into = await client.post(
        f"/api/v1/chats/{own['id']}/folder", headers=as_eve, json={"folder_id": folder["id"]}
    )
    assert into.status_code == 404
    sub = await client.post(
        "/api/v1/folders/", headers=as_eve, json={"name": "sub", "parent_id": folder["id"]}
    )
    assert sub.status_code == 404
    made = await client.post(
        "/api/v1/chats/new", headers=as_eve, json={"chat": {}, "folder_id": folder["id"]}
    )
    assert made.status_code == 404


async def test_admins_read_but_do_not_edit_others_chats(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    chat = await new_chat(client, uma["token"])
    as_ada = bearer(ada["token"])
    read = await client.get(f"/api/v1/chats/{chat['id']}", headers=as_ada)
    assert read.status_code == 200 and read.json()["chat"] == as_read(chat["chat"])
    listed = await client.get(f"/api/v1/chats/list/user/{uma['id']}", headers=as_ada)
    assert [c["id"] for c in listed.json()] == [chat["id"]]
    edit = await client.post(
        f"/api/v1/chats/{chat['id']}", headers=as_ada, json={"chat": {"title": "x"}}
    )
    assert edit.status_code == 404
    everything = await client.get("/api/v1/chats/all/db", headers=as_ada)
    assert [c["id"] for c in everything.json()] == [chat["id"]]
    uma_reads_admin = await client.get(
        f"/api/v1/chats/list/user/{ada['id']}", headers=bearer(uma["token"])
    )
    assert uma_reads_admin.status_code == 403
