"""`/api/v1/folders` through HTTP: the tree, name clashes, moves, deletion, the feature gate."""

from __future__ import annotations

import httpx

from tests.chats.support import new_chat
from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup


async def test_folder_tree(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])

    async def make(name: str, parent: str | None = None) -> dict:
        response = await client.post(
            "/api/v1/folders/", headers=headers, json={"name": name, "parent_id": parent}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    work = await make("Work")
    project = await make("Project", work["id"])
    deep = await make("Deep", project["id"])
    clash = await client.post("/api/v1/folders/", headers=headers, json={"name": "work"})
    assert clash.status_code == 400 and clash.json()["detail"] == "[ERROR: Folder already exists]"
    extra = await client.post("/api/v1/folders/", headers=headers, json={"name": "x", "bogus": 1})
    assert extra.status_code == 422
    await make("Work", project["id"])  # the same name elsewhere is fine

    renamed = await client.post(
        f"/api/v1/folders/{project['id']}/update",
        headers=headers,
        json={"name": "Plan", "data": {"system_prompt": "Be brief."}, "meta": {"icon": "x"}},
    )
    assert (
        renamed.json()["name"] == "Plan" and renamed.json()["data"]["system_prompt"] == "Be brief."
    )
    cycle = await client.post(
        f"/api/v1/folders/{work['id']}/update/parent",
        headers=headers,
        json={"parent_id": deep["id"]},
    )
    assert cycle.status_code == 400
    moved = await client.post(
        f"/api/v1/folders/{deep['id']}/update/parent", headers=headers, json={"parent_id": None}
    )
    assert moved.json()["parent_id"] is None
    expanded = await client.post(
        f"/api/v1/folders/{work['id']}/update/expanded", headers=headers, json={"is_expanded": True}
    )
    assert expanded.json()["is_expanded"] is True
    listed = (await client.get("/api/v1/folders/", headers=headers)).json()
    assert {f["name"] for f in listed} == {"Work", "Plan", "Deep"}

    # Chats in a folder and its sub-folders; deleting moves them out or deletes them.
    kept = await new_chat(client, ada["token"], {"title": "kept"}, folder_id=project["id"])
    doomed = await new_chat(client, ada["token"], {"title": "doomed"}, folder_id=work["id"])
    in_tree = await client.get(f"/api/v1/chats/folder/{work['id']}", headers=headers)
    assert {c["id"] for c in in_tree.json()} == {kept["id"], doomed["id"]}
    # A new chat is read by its author (as in Open WebUI); one marked unread counts.
    marked = await client.post(f"/api/v1/chats/{doomed['id']}/unread", headers=headers)
    assert marked.status_code == 200
    unread = {
        f["id"]: f["unread_count"]
        for f in (await client.get("/api/v1/folders/", headers=headers)).json()
    }
    assert unread[work["id"]] == 1
    read = await client.post(f"/api/v1/folders/{work['id']}/read", headers=headers)
    assert read.json()["updated_count"] == 2
    gone = await client.delete(
        f"/api/v1/folders/{project['id']}?delete_contents=false", headers=headers
    )
    assert gone.json() is True
    assert (await client.get(f"/api/v1/chats/{kept['id']}", headers=headers)).json()[
        "folder_id"
    ] is None
    assert (await client.delete(f"/api/v1/folders/{work['id']}", headers=headers)).json() is True
    assert (await client.get(f"/api/v1/chats/{doomed['id']}", headers=headers)).status_code == 404
    assert (await client.get(f"/api/v1/folders/{work['id']}", headers=headers)).status_code == 404


async def test_folders_can_be_turned_off(make_client: MakeClient) -> None:
    async with make_client(enable_folders=False) as client:
        ada = await signup(client, "Ada")
        assert (
            await client.get("/api/v1/folders/", headers=bearer(ada["token"]))
        ).status_code == 403


async def test_sharing_a_folder(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    folder = (
        await client.post("/api/v1/folders/", headers=bearer(ada["token"]), json={"name": "Team"})
    ).json()
    chat = await new_chat(client, ada["token"], {"title": "plan"}, folder_id=folder["id"])
    grant = [{"principal_type": "user", "principal_id": uma["id"], "permission": "read"}]
    shared = await client.post(
        f"/api/v1/folders/{folder['id']}/access/update",
        headers=bearer(ada["token"]),
        json={"access_grants": grant},
    )
    assert shared.status_code == 200 and len(shared.json()["access_grants"]) == 1
    seen = (await client.get("/api/v1/folders/shared", headers=bearer(uma["token"]))).json()
    assert [(f["id"], f["permission"], f["owner_name"]) for f in seen] == [
        (folder["id"], "read", "Ada")
    ]
    chats = await client.get(
        f"/api/v1/folders/{folder['id']}/shared/chats", headers=bearer(uma["token"])
    )
    assert [(c["id"], c["readonly"]) for c in chats.json()] == [(chat["id"], True)]
    rename = await client.post(
        f"/api/v1/folders/{folder['id']}/update", headers=bearer(uma["token"]), json={"name": "x"}
    )
    assert rename.status_code == 403


async def test_subfolders_of_shared_folders_and_folder_files(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    as_ada, as_uma = bearer(ada["token"]), bearer(uma["token"])
    team = (await client.post("/api/v1/folders/", headers=as_ada, json={"name": "Team"})).json()
    read = [{"principal_type": "user", "principal_id": uma["id"], "permission": "read"}]
    await client.post(
        f"/api/v1/folders/{team['id']}/access/update", headers=as_ada, json={"access_grants": read}
    )
    sub = {"name": "Mine", "parent_id": team["id"]}
    assert (await client.post("/api/v1/folders/", headers=as_uma, json=sub)).status_code == 403
    write = [{"principal_type": "user", "principal_id": uma["id"], "permission": "write"}]
    await client.post(
        f"/api/v1/folders/{team['id']}/access/update", headers=as_ada, json={"access_grants": write}
    )
    made = await client.post("/api/v1/folders/", headers=as_uma, json=sub)
    assert made.status_code == 200 and made.json()["user_id"] == ada["id"]  # the owner's tree

    secret = await client.post(
        "/api/v1/files/", headers=as_ada, files={"file": ("s.txt", b"secret", "text/plain")},
        params={"process": "false"},
    )  # fmt: skip
    mine = await client.post(
        "/api/v1/files/", headers=as_uma, files={"file": ("m.txt", b"mine", "text/plain")},
        params={"process": "false"},
    )  # fmt: skip
    own = (await client.post("/api/v1/folders/", headers=as_uma, json={"name": "Own"})).json()
    for file_id, status in ((secret.json()["id"], 403), (mine.json()["id"], 200)):
        data = {"files": [{"type": "file", "id": file_id}]}
        updated = await client.post(
            f"/api/v1/folders/{own['id']}/update", headers=as_uma, json={"data": data}
        )
        assert updated.status_code == status
        created = await client.post(
            "/api/v1/folders/", headers=as_uma, json={"name": f"F{status}", "data": data}
        )
        assert created.status_code == status
