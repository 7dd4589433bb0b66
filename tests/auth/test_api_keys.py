"""API keys: lifecycle, every carrier, endpoint restrictions, and the seed's auth examples."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup


async def _admin_key(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    admin = await signup(client, "Ada")
    created = await client.post("/api/v1/auths/api_key", headers=bearer(admin["token"]))
    assert created.status_code == 200
    return admin, created.json()["api_key"]


async def test_api_key_lifecycle(client: httpx.AsyncClient) -> None:
    admin, key = await _admin_key(client)
    headers = bearer(admin["token"])
    assert key.startswith("sk-") and len(key) == 35
    assert (await client.get("/api/v1/auths/api_key", headers=headers)).json() == {"api_key": key}
    rotated = (await client.post("/api/v1/auths/api_key", headers=headers)).json()["api_key"]
    assert rotated != key
    assert (await client.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 401
    assert (await client.get("/api/v1/auths/api_key", headers=bearer(rotated))).status_code == 200
    deleted = await client.delete("/api/v1/auths/api_key", headers=headers)
    assert deleted.status_code == 200 and deleted.json() is True
    assert (await client.get("/api/v1/auths/api_key", headers=bearer(rotated))).status_code == 401
    missing = await client.get("/api/v1/auths/api_key", headers=headers)
    assert missing.status_code == 404


async def test_seed_examples_bearer_jwt_and_bearer_key(client: httpx.AsyncClient) -> None:
    """Seed page 003: `Authorization: Bearer YOUR_API_KEY` or a JWT, equivalent access."""
    admin, key = await _admin_key(client)
    by_jwt = await client.get("/api/v1/auths/", headers=bearer(admin["token"]))
    by_key = await client.get(f"/api/v1/users/{admin['id']}", headers=bearer(key))
    assert by_jwt.status_code == by_key.status_code == 200
    assert by_jwt.json()["id"] == by_key.json()["id"] == admin["id"]
    users = await client.get("/api/v1/users/", headers=bearer(key))
    assert users.status_code == 200 and users.json()["total"] == 1


@pytest.mark.parametrize("carrier", ["bearer", "cookie", "x-api-key"])
async def test_every_carrier_accepts_key(client: httpx.AsyncClient, carrier: str) -> None:
    _admin, key = await _admin_key(client)
    response = await _get(client, "/api/v1/auths/api_key", key, carrier)
    assert response.status_code == 200


async def test_a_key_gets_no_session(client: httpx.AsyncClient) -> None:
    """Open WebUI 0.12.4: the session route (which hands out a token) is for people."""
    _admin, key = await _admin_key(client)
    response = await client.get("/api/v1/auths/", headers=bearer(key))
    assert response.status_code == 403
    assert response.json() == {"detail": "A human session is required."}


async def _get(client: httpx.AsyncClient, path: str, key: str, carrier: str) -> httpx.Response:
    if carrier == "bearer":
        return await client.get(path, headers=bearer(key))
    if carrier == "x-api-key":
        return await client.get(path, headers={"x-api-key": key})
    return await client.get(path, headers={"cookie": f"token={key}"})


@pytest.mark.parametrize("carrier", ["bearer", "cookie", "x-api-key"])
async def test_endpoint_restrictions_hold_for_every_carrier(
    make_client: MakeClient, carrier: str
) -> None:
    async with make_client(
        enable_api_keys_endpoint_restrictions=True,
        api_keys_allowed_endpoints="/api/v1/auths,/api/v1/users/permissions",
    ) as client:
        admin, key = await _admin_key(client)
        assert (await _get(client, "/api/v1/auths/api_key", key, carrier)).status_code == 200
        assert (await _get(client, "/api/v1/users/permissions", key, carrier)).status_code == 200
        for path in ("/api/v1/users/", "/api/v1/users/permissionsX", "/api/v1/users/search",
                     "/api/v1/groups/"):  # fmt: skip
            denied = await _get(client, path, key, carrier)
            assert denied.status_code == 403, (path, denied.text)
        # The JWT is not an API key: no restriction applies to it.
        ok = await client.get("/api/v1/users/", headers=bearer(admin["token"]))
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("allowed", "path", "status"),
    [
        ("/", "/api/v1/users/", 403),
        ("/api/v1/auths/api_key", "/api/v1/auths/api_key", 200),
        ("/api/v1/auths/", "/api/v1/auths/admin/config", 403),
        ("/api/v1/auths", "/api/v1/auths/admin/config", 200),
        ("/api/v1/users/permissions", "/api/v1/users/permissions/", 307),  # slash redirect
        ("/api/v1/users/permissions", "/api/v1/users/permissionsX", 403),
    ],
)
async def test_allow_list_entries_are_used_as_written(
    make_client: MakeClient, allowed: str, path: str, status: int
) -> None:
    async with make_client(
        enable_api_keys_endpoint_restrictions=True, api_keys_allowed_endpoints=allowed
    ) as client:
        _admin, key = await _admin_key(client)
        response = await client.get(path, headers=bearer(key))
        assert response.status_code == status, response.text


async def test_keys_disabled_by_admin(client: httpx.AsyncClient) -> None:
    admin, key = await _admin_key(client)
    headers = bearer(admin["token"])
    config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    await client.post(
        "/api/v1/auths/admin/config", headers=headers, json={**config, "ENABLE_API_KEYS": False}
    )
    response = await client.get("/api/v1/auths/api_key", headers=bearer(key))
    assert response.status_code == 403
    assert response.json()["detail"] == "Use of API key is not enabled in the environment."
    assert (await client.post("/api/v1/auths/api_key", headers=headers)).status_code == 403


async def test_users_need_the_api_keys_permission(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    bob = await add_user(client, admin["token"], "Bob")
    denied = await client.post("/api/v1/auths/api_key", headers=bearer(bob["token"]))
    assert denied.status_code == 403
    # Grant `features.api_keys` through a group.
    headers = bearer(admin["token"])
    group = await client.post(
        "/api/v1/groups/create",
        headers=headers,
        json={"name": "keys", "permissions": {"features": {"api_keys": True}}},
    )
    gid = group.json()["id"]
    await client.post(
        f"/api/v1/groups/id/{gid}/users/add", headers=headers, json={"user_ids": [bob["id"]]}
    )
    created = await client.post("/api/v1/auths/api_key", headers=bearer(bob["token"]))
    assert created.status_code == 200
    key = created.json()["api_key"]
    assert (await client.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 200
    # Leaving the group takes the right away from the existing key too.
    await client.post(
        f"/api/v1/groups/id/{gid}/users/remove", headers=headers, json={"user_ids": [bob["id"]]}
    )
    assert (await client.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 403
