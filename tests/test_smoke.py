from __future__ import annotations

import httpx

from tests.support import bearer, signup


async def test_health_and_first_signup_is_admin(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": True}
    admin = await signup(client, "Ada")
    assert admin["role"] == "admin"
    me = await client.get("/api/v1/auths/", headers=bearer(admin["token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
