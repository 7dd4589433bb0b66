"""`/api/v1/groups` through HTTP, and group permissions merged into users' permissions."""

from __future__ import annotations

import httpx

from tests.support import add_user, bearer, signup


async def _setup(
    client: httpx.AsyncClient,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    admin = await signup(client, "Ada")
    bob = await add_user(client, admin["token"], "Bob")
    cid = await add_user(client, admin["token"], "Cid")
    return admin, bob, cid


async def test_group_lifecycle(client: httpx.AsyncClient) -> None:
    admin, bob, cid = await _setup(client)
    headers = bearer(admin["token"])
    created = await client.post(
        "/api/v1/groups/create", headers=headers, json={"name": "Team", "description": "t"}
    )
    assert created.status_code == 200
    group = created.json()
    assert group["member_count"] == 0 and group["data"] == {"config": {"share": "members"}}
    gid = group["id"]
    added = await client.post(
        f"/api/v1/groups/id/{gid}/users/add",
        headers=headers,
        json={"user_ids": [bob["id"], "unknown-id", bob["id"]]},
    )
    assert added.status_code == 200 and added.json()["member_count"] == 1
    members = await client.post(f"/api/v1/groups/id/{gid}/users", headers=headers)
    assert [m["name"] for m in members.json()] == ["Bob"]
    export = (await client.get(f"/api/v1/groups/id/{gid}/export", headers=headers)).json()
    assert export["user_ids"] == [bob["id"]]

    # Members see their groups and the group's info; others do not.
    mine = await client.get("/api/v1/groups/", headers=bearer(bob["token"]))
    assert [g["id"] for g in mine.json()] == [gid]
    assert (await client.get("/api/v1/groups/", headers=bearer(cid["token"]))).json() == []
    info = await client.get(f"/api/v1/groups/id/{gid}/info", headers=bearer(bob["token"]))
    assert info.status_code == 200 and info.json()["member_count"] == 1
    outsider = await client.get(f"/api/v1/groups/id/{gid}/info", headers=bearer(cid["token"]))
    assert outsider.status_code == 403
    user_groups = await client.get("/api/v1/users/groups", headers=bearer(bob["token"]))
    assert [g["name"] for g in user_groups.json()] == ["Team"]
    listed = (await client.get(f"/api/v1/users/{bob['id']}", headers=headers)).json()
    assert listed["groups"] == [{"id": gid, "name": "Team"}]
    users = (await client.get("/api/v1/users/?query=bob", headers=headers)).json()
    assert users["users"][0]["group_ids"] == [gid]

    updated = await client.post(
        f"/api/v1/groups/id/{gid}/update",
        headers=headers,
        json={"name": "Team 2", "description": "", "data": {"config": {"share": True}}},
    )
    assert updated.json()["name"] == "Team 2" and updated.json()["data"]["config"]["share"] is True
    shareable = await client.get("/api/v1/groups/?share=true", headers=bearer(cid["token"]))
    assert [g["id"] for g in shareable.json()] == [gid]
    removed = await client.post(
        f"/api/v1/groups/id/{gid}/users/remove", headers=headers, json={"user_ids": [bob["id"]]}
    )
    assert removed.json()["member_count"] == 0
    deleted = await client.delete(f"/api/v1/groups/id/{gid}/delete", headers=headers)
    assert deleted.status_code == 200 and deleted.json() is True
    for method, path in (
        ("GET", f"/api/v1/groups/id/{gid}"),
        ("GET", f"/api/v1/groups/id/{gid}/info"),
        ("POST", f"/api/v1/groups/id/{gid}/users"),
        ("DELETE", f"/api/v1/groups/id/{gid}/delete"),
    ):
        missing = await client.request(method, path, headers=headers)
        assert missing.status_code == 404, path


async def test_group_input_is_validated(client: httpx.AsyncClient) -> None:
    admin, _bob, _cid = await _setup(client)
    headers = bearer(admin["token"])
    for body in (
        {"name": ""},
        {"description": "no name"},
        {"name": "x", "permissions": "all"},
    ):
        response = await client.post("/api/v1/groups/create", headers=headers, json=body)
        assert response.status_code == 422, body
    for body in (
        {"name": "x", "permissions": {"chat": {"edit": 1}}},
        {"name": "x", "permissions": {"root": {"all": True}}},
        {"name": "x", "data": {"config": {"share": "everyone"}}},
    ):
        response = await client.post("/api/v1/groups/create", headers=headers, json=body)
        assert response.status_code == 400, body
    assert (await client.get("/api/v1/groups/", headers=headers)).json() == []


async def test_group_permissions_are_ored_into_effective(client: httpx.AsyncClient) -> None:
    admin, bob, _cid = await _setup(client)
    headers = bearer(admin["token"])
    before = (await client.get("/api/v1/users/permissions", headers=bearer(bob["token"]))).json()
    assert before["workspace"]["models"] is False and before["chat"]["edit"] is True
    for perms in ({"workspace": {"models": True}}, {"chat": {"edit": False}}):
        gid = (
            await client.post(
                "/api/v1/groups/create", headers=headers, json={"name": "g", "permissions": perms}
            )
        ).json()["id"]
        await client.post(
            f"/api/v1/groups/id/{gid}/users/add", headers=headers, json={"user_ids": [bob["id"]]}
        )
    after = (await client.get("/api/v1/users/permissions", headers=bearer(bob["token"]))).json()
    assert after["workspace"]["models"] is True  # granted by one group
    assert after["chat"]["edit"] is True  # a group's false never takes away a default true
    me = (await client.get("/api/v1/auths/", headers=bearer(bob["token"]))).json()
    assert me["permissions"] == after


async def test_default_group_for_new_users(client: httpx.AsyncClient) -> None:
    admin, _bob, _cid = await _setup(client)
    headers = bearer(admin["token"])
    gid = (
        await client.post("/api/v1/groups/create", headers=headers, json={"name": "all"})
    ).json()["id"]
    config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    await client.post(
        "/api/v1/auths/admin/config", headers=headers, json={**config, "DEFAULT_GROUP_ID": gid}
    )
    dee = await add_user(client, admin["token"], "Dee")
    groups = await client.get("/api/v1/users/groups", headers=bearer(dee["token"]))
    assert [g["id"] for g in groups.json()] == [gid]
