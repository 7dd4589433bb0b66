"""`/api/v1/users` through HTTP: listing, pagination, own settings, admin edits, protections."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.support import PASSWORD, add_user, bearer, signup

NOT_FOUND = "We could not find what you're looking for :/"
ACTION_PROHIBITED = "The requested action has been restricted as a security measure."


@pytest.fixture
async def people(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    admin = await signup(client, "Ada")
    result = {"admin": admin}
    for name in ("Bob", "Cid", "Dee"):
        result[name.lower()] = await add_user(client, admin["token"], name)
    return result


async def test_list_search_and_pagination(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    admin = bearer(people["admin"]["token"])
    for i in range(35):
        await add_user(client, people["admin"]["token"], f"Extra{i:02d}")
    page1 = (await client.get("/api/v1/users/", headers=admin)).json()
    assert page1["total"] == 39 and len(page1["users"]) == 30
    assert {"group_ids", "email", "role"} <= set(page1["users"][0])
    page2 = (await client.get("/api/v1/users/?page=2", headers=admin)).json()
    assert len(page2["users"]) == 9
    ids = {u["id"] for u in page1["users"]} | {u["id"] for u in page2["users"]}
    assert len(ids) == 39
    window = (await client.get("/api/v1/users/?skip=5&limit=3", headers=admin)).json()
    assert [u["id"] for u in window["users"]] == [u["id"] for u in page1["users"][5:8]]
    by_name = (
        await client.get("/api/v1/users/?order_by=name&direction=asc&limit=2", headers=admin)
    ).json()
    assert [u["name"] for u in by_name["users"]] == ["Ada", "Bob"]
    found = (await client.get("/api/v1/users/?query=CID", headers=admin)).json()
    assert found["total"] == 1 and found["users"][0]["name"] == "Cid"
    for wildcard in ("_", "%25"):  # LIKE wildcards match themselves only
        none = (await client.get(f"/api/v1/users/?query={wildcard}", headers=admin)).json()
        assert none["total"] == 0, wildcard
    assert (await client.get("/api/v1/users/?limit=0", headers=admin)).status_code == 422
    assert (await client.get("/api/v1/users/?skip=-1", headers=admin)).status_code == 422

    search = await client.get(
        "/api/v1/users/search?query=dee", headers=bearer(people["bob"]["token"])
    )
    assert search.status_code == 200
    item = search.json()["users"][0]
    assert set(item) == {"id", "name", "email", "role", "bio", "last_active_at", "timezone",
                         "groups", "is_active", "status_emoji", "status_message",
                         "status_expires_at"}  # fmt: skip
    everyone = (await client.get("/api/v1/users/all", headers=admin)).json()
    assert everyone["total"] == 39 == len(everyone["users"])


async def test_get_user_info_active_and_missing(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    admin = bearer(people["admin"]["token"])
    bob_id = people["bob"]["id"]
    full = (await client.get(f"/api/v1/users/{bob_id}", headers=admin)).json()
    assert full["email"] == "bob@example.com" and full["groups"] == []
    assert "variables" not in full
    info = await client.get(f"/api/v1/users/{bob_id}/info", headers=bearer(people["cid"]["token"]))
    assert info.status_code == 200 and info.json()["name"] == "Bob"
    active = await client.get(f"/api/v1/users/{bob_id}/active", headers=admin)
    assert active.json() == {"active": True}
    for path in ("/api/v1/users/nope", "/api/v1/users/nope/info", "/api/v1/users/nope/active"):
        missing = await client.get(path, headers=admin)
        assert missing.status_code == 404 and missing.json() == {"detail": NOT_FOUND}


async def test_profile_image_variants(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    bob = bearer(people["bob"]["token"])
    default = await client.get(f"/api/v1/users/{people['bob']['id']}/profile/image", headers=bob)
    assert default.status_code == 200 and default.headers["content-type"] == "image/png"
    assert default.content.startswith(b"\x89PNG")
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    await client.post(
        "/api/v1/auths/update/profile",
        headers=bob,
        json={"name": "Bob", "profile_image_url": f"data:image/png;base64,{png}"},
    )
    data = await client.get(f"/api/v1/users/{people['bob']['id']}/profile/image", headers=bob)
    assert data.content == b"\x89PNG\r\n\x1a\nfake"
    await client.post(
        "/api/v1/auths/update/profile",
        headers=bob,
        json={"name": "Bob", "profile_image_url": "https://img.example/bob.png"},
    )
    redirect = await client.get(f"/api/v1/users/{people['bob']['id']}/profile/image", headers=bob)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "https://img.example/bob.png"


async def test_own_settings_info_variables_status(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    bob = bearer(people["bob"]["token"])
    assert (await client.get("/api/v1/users/user/settings", headers=bob)).json() is None
    saved = await client.post(
        "/api/v1/users/user/settings/update",
        headers=bob,
        json={"ui": {"theme": "dark", "toolServers": [{"url": "x"}]}, "extra": 1},
    )
    assert saved.status_code == 200
    assert saved.json() == {"ui": {"theme": "dark"}, "extra": 1}  # toolServers needs a permission
    assert (await client.get("/api/v1/users/user/settings", headers=bob)).json() == saved.json()

    await client.post("/api/v1/users/user/info/update", headers=bob, json={"a": 1})
    merged = await client.post("/api/v1/users/user/info/update", headers=bob, json={"b": 2})
    assert merged.json() == {"a": 1, "b": 2}
    assert (await client.get("/api/v1/users/user/info", headers=bob)).json() == {"a": 1, "b": 2}

    variables = await client.post(
        "/api/v1/users/user/variables/update", headers=bob, json={"variables": {"CITY": "Oslo"}}
    )
    assert variables.json() == {"variables": {"CITY": "Oslo"}}
    assert (await client.get("/api/v1/users/user/variables", headers=bob)).json() == {
        "variables": {"CITY": "Oslo"}
    }
    bad = await client.post(
        "/api/v1/users/user/variables/update", headers=bob, json={"variables": {"no spaces": "x"}}
    )
    assert bad.status_code == 400

    status = await client.post(
        "/api/v1/users/user/status/update",
        headers=bob,
        json={"status_emoji": "🦉", "status_message": "hooting"},
    )
    assert status.status_code == 200 and status.json()["status_message"] == "hooting"
    assert (await client.get("/api/v1/users/user/status", headers=bob)).json()[
        "status_emoji"
    ] == "🦉"


async def test_permissions_and_defaults(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    admin = bearer(people["admin"]["token"])
    bob = bearer(people["bob"]["token"])
    mine = (await client.get("/api/v1/users/permissions", headers=bob)).json()
    assert mine["features"]["api_keys"] is False and mine["chat"]["edit"] is True
    defaults = (await client.get("/api/v1/users/default/permissions", headers=admin)).json()
    assert defaults == mine
    builtin = (await client.get("/api/v1/users/default/permissions/defaults", headers=admin)).json()
    assert builtin["workspace"]["models"] is False
    defaults["chat"]["edit"] = False
    saved = await client.post("/api/v1/users/default/permissions", headers=admin, json=defaults)
    assert saved.status_code == 200
    assert (await client.get("/api/v1/users/permissions", headers=bob)).json()["chat"][
        "edit"
    ] is False
    bad = await client.post(
        "/api/v1/users/default/permissions", headers=admin, json={"chat": {"edit": "yes"}}
    )
    assert bad.status_code == 400
    unknown = await client.post(
        "/api/v1/users/default/permissions", headers=admin, json={"nope": {}}
    )
    assert unknown.status_code == 400


async def test_admin_updates_user(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    admin = bearer(people["admin"]["token"])
    bob_id = people["bob"]["id"]
    updated = await client.post(
        f"/api/v1/users/{bob_id}/update",
        headers=admin,
        json={"role": "admin", "name": "Robert", "email": "ROBERT@example.com",
              "password": "robert-pass-1"},
    )  # fmt: skip
    assert updated.status_code == 200
    assert updated.json()["role"] == "admin" and updated.json()["email"] == "robert@example.com"
    signin = await client.post(
        "/api/v1/auths/signin", json={"email": "robert@example.com", "password": "robert-pass-1"}
    )
    assert signin.status_code == 200
    taken = await client.post(
        f"/api/v1/users/{bob_id}/update", headers=admin, json={"email": "cid@example.com"}
    )
    assert taken.status_code == 400 and taken.json()["detail"].startswith("Uh-oh!")
    bad_role = await client.post(
        f"/api/v1/users/{bob_id}/update", headers=admin, json={"role": "root"}
    )
    assert bad_role.status_code == 422
    missing = await client.post("/api/v1/users/nope/update", headers=admin, json={"name": "x"})
    assert missing.status_code == 404


async def test_first_user_protections(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    first = people["admin"]["id"]
    admin = bearer(people["admin"]["token"])
    # Make Bob an admin; he still may not touch the first user.
    await client.post(f"/api/v1/users/{people['bob']['id']}/update", headers=admin,
                      json={"role": "admin"})  # fmt: skip
    bob = bearer(people["bob"]["token"])
    for body in ({"name": "Hacked"}, {"role": "user"}):
        denied = await client.post(f"/api/v1/users/{first}/update", headers=bob, json=body)
        assert denied.status_code == 403 and denied.json() == {"detail": ACTION_PROHIBITED}
    demote_self = await client.post(
        f"/api/v1/users/{first}/update", headers=admin, json={"role": "user"}
    )
    assert demote_self.status_code == 403
    rename_self = await client.post(
        f"/api/v1/users/{first}/update", headers=admin, json={"name": "Ada L."}
    )
    assert rename_self.status_code == 200
    assert (await client.delete(f"/api/v1/users/{first}", headers=bob)).status_code == 403
    assert (await client.delete(f"/api/v1/users/{first}", headers=admin)).status_code == 403
    self_delete = await client.delete(f"/api/v1/users/{people['bob']['id']}", headers=bob)
    assert self_delete.status_code == 403


async def test_delete_user_removes_everything(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    admin = bearer(people["admin"]["token"])
    cid = people["cid"]
    defaults = (await client.get("/api/v1/users/default/permissions", headers=admin)).json()
    defaults["features"]["api_keys"] = True
    await client.post("/api/v1/users/default/permissions", headers=admin, json=defaults)
    key = (await client.post("/api/v1/auths/api_key", headers=bearer(cid["token"]))).json()
    assert (
        await client.get("/api/v1/auths/api_key", headers=bearer(key["api_key"]))
    ).status_code == 200
    deleted = await client.delete(f"/api/v1/users/{cid['id']}", headers=admin)
    assert deleted.status_code == 200 and deleted.json() is True
    assert (await client.get("/api/v1/auths/", headers=bearer(cid["token"]))).status_code == 401
    assert (
        await client.get("/api/v1/auths/api_key", headers=bearer(key["api_key"]))
    ).status_code == 401
    signin = await client.post(
        "/api/v1/auths/signin", json={"email": "cid@example.com", "password": PASSWORD}
    )
    assert signin.status_code == 400
    again = await client.delete(f"/api/v1/users/{cid['id']}", headers=admin)
    assert again.status_code == 404
