"""The credential cache: fast repeat look-ups, never at the price of stale rights in-process."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup


async def _key(client, token: str) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/auths/api_key", headers=bearer(token))
    assert response.status_code == 200, response.text
    return str(response.json()["api_key"])


async def test_changes_in_this_process_apply_at_once(make_client: MakeClient) -> None:
    async with make_client(credential_cache_ttl=60.0) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        key = await _key(client, admin["token"])
        assert (await client.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 200
        rotated = await _key(client, admin["token"])
        assert (await client.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 401
        assert (
            await client.get("/api/v1/auths/api_key", headers=bearer(rotated))
        ).status_code == 200
        # A user's key loses its rights the moment an admin demotes or removes them.
        defaults = (await client.get("/api/v1/users/default/permissions", headers=headers)).json()
        defaults["features"]["api_keys"] = True
        await client.post("/api/v1/users/default/permissions", headers=headers, json=defaults)
        bob = await add_user(client, admin["token"], "Bob")
        bob_key = await _key(client, bob["token"])
        assert (
            await client.get("/api/v1/users/search", headers=bearer(bob_key))
        ).status_code == 200
        await client.post(
            f"/api/v1/users/{bob['id']}/update", headers=headers, json={"role": "pending"}
        )
        assert (
            await client.get("/api/v1/users/search", headers=bearer(bob_key))
        ).status_code == 403
        defaults["features"]["api_keys"] = False
        await client.post("/api/v1/users/default/permissions", headers=headers, json=defaults)
        assert (
            await client.get("/api/v1/auths/api_key", headers=bearer(bob_key))
        ).status_code == 403


async def test_other_workers_follow_within_the_ttl(make_client: MakeClient) -> None:
    async with (
        make_client(credential_cache_ttl=0.5) as one,
        make_client(credential_cache_ttl=0.5) as two,
    ):
        admin = await signup(one, "Ada")
        key = await _key(one, admin["token"])
        assert (await two.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 200
        await one.delete("/api/v1/auths/api_key", headers=bearer(admin["token"]))
        assert (await one.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 401
        await asyncio.sleep(0.6)
        assert (await two.get("/api/v1/auths/api_key", headers=bearer(key))).status_code == 401


async def test_exhausted_pool_is_503_not_500(make_client: MakeClient) -> None:
    async with make_client(
        database_pool_size=1, database_pool_max_overflow=0, database_pool_timeout=0.2
    ) as client:
        admin = await signup(client, "Ada")
        container = client.app.state.container  # type: ignore[attr-defined]
        async with container.engine.connect() as held:  # the pool's only connection
            await held.execute(text("SELECT 1"))
            busy = await client.get(
                "/api/v1/users/", headers=bearer(admin["token"]), extensions={"allow_5xx": True}
            )
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "busy" in busy.json()["detail"]
