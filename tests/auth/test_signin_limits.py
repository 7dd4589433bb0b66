"""Sign-in rate limit (seed page 000) and the race-safe first sign-up."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import MakeClient
from tests.support import PASSWORD, signup


async def _attempt(client: httpx.AsyncClient, email: str, password: str = "wrong") -> int:
    response = await client.post(
        "/api/v1/auths/signin", json={"email": email, "password": password}
    )
    return response.status_code


async def test_five_attempts_per_email_then_429(client: httpx.AsyncClient) -> None:
    await signup(client, "Ada")
    statuses = [await _attempt(client, e) for e in ("ada@example.com", "ADA@example.com",
                                                     "Ada@Example.com", "ada@example.com",
                                                     "ada@EXAMPLE.com")]  # fmt: skip
    assert statuses == [400] * 5
    blocked = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json() == {"detail": "API rate limit exceeded"}
    # Unicode compatibility forms of the same address share the budget.
    assert await _attempt(client, "ada@\uff45xample.com", PASSWORD) == 429
    assert await _attempt(client, "ada@\uff45x\uff41mple.com", PASSWORD) == 429
    # Other emails are unaffected.
    assert await _attempt(client, "bob@example.com") == 400


async def test_two_instances_share_the_limit_through_redis(
    make_client: MakeClient, redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    settings = {"redis_url": url, "redis_key_prefix": f"{prefix}:share"}
    async with make_client(**settings) as one, make_client(**settings) as two:
        await signup(one, "Ada")
        statuses = [await _attempt(c, "ada@example.com") for c in (one, two, one, two, one)]
        assert statuses == [400] * 5
        assert await _attempt(two, "ada@example.com", PASSWORD) == 429
        assert await _attempt(one, "ada@example.com", PASSWORD) == 429


async def test_without_redis_instances_count_separately(make_client: MakeClient) -> None:
    async with make_client() as one, make_client() as two:
        await signup(one, "Ada")
        for _ in range(5):
            assert await _attempt(one, "ada@example.com") == 400
        assert await _attempt(one, "ada@example.com") == 429
        assert await _attempt(two, "ada@example.com", PASSWORD) == 200


async def test_twenty_concurrent_first_signups_make_one_admin(client: httpx.AsyncClient) -> None:
    async def attempt(i: int) -> httpx.Response:
        return await client.post(
            "/api/v1/auths/signup",
            json={"name": f"U{i}", "email": f"u{i}@example.com", "password": PASSWORD},
        )

    responses = await asyncio.gather(*(attempt(i) for i in range(20)))
    statuses = sorted(r.status_code for r in responses)
    # The first user closes sign-up; everyone who raced it is refused and leaves nothing.
    assert statuses == [200] + [403] * 19, [r.text for r in responses]
    admin = next(r.json() for r in responses if r.status_code == 200)
    assert admin["role"] == "admin"
    listed = await client.get(
        "/api/v1/users/all", headers={"Authorization": f"Bearer {admin['token']}"}
    )
    assert [u["id"] for u in listed.json()["users"]] == [admin["id"]]
