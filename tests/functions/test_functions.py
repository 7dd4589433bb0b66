"""`/api/v1/functions` through HTTP, with plugin sources written as Open WebUI users write them."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup

RATE_LIMIT_FILTER = '''"""
title: Rate Limit
author: someone
version: 0.1
requirements: requests
"""
from pydantic import BaseModel, Field


class Filter:
    class Valves(BaseModel):
        priority: int = Field(default=0)
        requests_per_minute: int = Field(default=10, ge=1)

    class UserValves(BaseModel):
        enabled: bool = True

    def __init__(self):
        self.valves = self.Valves()
        self.toggle = True

    def inlet(self, body: dict, __user__: dict | None = None) -> dict:
        return body
'''

MANIFOLD_PIPE = """
class Pipe:
    def __init__(self):
        self.type = "manifold"

    def pipes(self):
        return [{"id": "small", "name": "Small"}, {"id": "large", "name": "Large"}]

    def pipe(self, body: dict):
        yield "hello"
"""

ACTION = """
class Action:
    async def action(self, body: dict, __user__=None, __event_emitter__=None):
        return body
"""


async def create(client: httpx.AsyncClient, token: str, fid: str, content: str) -> httpx.Response:
    return await client.post(
        "/api/v1/functions/create",
        headers=bearer(token),
        json={"id": fid, "name": fid.title(), "content": content, "meta": {"description": "d"}},
    )


async def test_create_detects_types_and_reports_frontmatter(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    made = await create(client, ada["token"], "rate_limit", RATE_LIMIT_FILTER)
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["type"] == "filter" and body["is_active"] is False and "content" not in body
    assert body["meta"]["manifest"]["requirements"] == "requests"  # reported, not installed
    assert body["meta"]["toggle"] is True and body["meta"]["description"] == "d"
    assert (await create(client, ada["token"], "manifold", MANIFOLD_PIPE)).json()["type"] == "pipe"
    assert (await create(client, ada["token"], "echo", ACTION)).json()["type"] == "action"
    listed = (await client.get("/api/v1/functions/", headers=bearer(ada["token"]))).json()
    assert [f["id"] for f in listed] == ["echo", "manifold", "rate_limit"]
    got = (await client.get("/api/v1/functions/id/rate_limit", headers=bearer(ada["token"]))).json()
    assert got["content"] == RATE_LIMIT_FILTER


@pytest.mark.parametrize(
    ("fid", "content", "detail"),
    [
        ("bad-id", ACTION, "Only alphanumeric characters and underscores are allowed in the id"),
        ("broken", "class Filter(:\n", "[ERROR: SyntaxError"),
        ("raises", "raise RuntimeError('boom')\n", "[ERROR: RuntimeError: boom]"),
        ("nothing", "x = 1\n", "[ERROR: The source defines no Pipe, Filter or Action class]"),
        (
            "badinit",
            "class Pipe:\n    def __init__(self):\n        1 / 0\n",
            "[ERROR: ZeroDivisionError",
        ),
    ],
)
async def test_bad_sources_are_refused_and_not_stored(
    client: httpx.AsyncClient, fid: str, content: str, detail: str
) -> None:
    ada = await signup(client, "Ada")
    refused = await create(client, ada["token"], fid, content)
    assert refused.status_code == 400 and refused.json()["detail"].startswith(detail), refused.text
    assert (await client.get("/api/v1/functions/", headers=bearer(ada["token"]))).json() == []


async def test_a_slow_module_is_refused(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import owlet.functions.loader as loader

    monkeypatch.setattr(loader, "LOAD_SECONDS", 0.3)
    ada = await signup(client, "Ada")
    slow = await create(
        client, ada["token"], "slow", "import time\ntime.sleep(2)\nclass Pipe: pass\n"
    )
    assert slow.status_code == 400 and "longer than" in slow.json()["detail"]


async def test_switches_valves_and_user_valves(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    headers = bearer(ada["token"])
    await create(client, ada["token"], "rate_limit", RATE_LIMIT_FILTER)
    base = "/api/v1/functions/id/rate_limit"
    assert (await client.post(f"{base}/toggle", headers=headers)).json()["is_active"] is True
    assert (await client.post(f"{base}/toggle/global", headers=headers)).json()["is_global"] is True
    spec = (await client.get(f"{base}/valves/spec", headers=headers)).json()
    assert set(spec["properties"]) == {"priority", "requests_per_minute"}
    saved = await client.post(
        f"{base}/valves/update", headers=headers, json={"requests_per_minute": 3}
    )
    assert saved.json() == {"priority": 0, "requests_per_minute": 3}
    assert (await client.get(f"{base}/valves", headers=headers)).json()["requests_per_minute"] == 3
    invalid = await client.post(
        f"{base}/valves/update", headers=headers, json={"requests_per_minute": 0}
    )
    assert invalid.status_code == 400
    as_uma = bearer(uma["token"])
    user_spec = (await client.get(f"{base}/valves/user/spec", headers=as_uma)).json()
    assert set(user_spec["properties"]) == {"enabled"}
    mine = await client.post(f"{base}/valves/user/update", headers=as_uma, json={"enabled": False})
    assert mine.json() == {"enabled": False}
    assert (await client.get(f"{base}/valves/user", headers=as_uma)).json() == {"enabled": False}
    assert (await client.get(f"{base}/valves/user", headers=headers)).json() == {}

    updated = await client.post(
        f"{base}/update",
        headers=headers,
        json={"id": "rate_limit", "name": "Renamed", "content": ACTION, "meta": {}},
    )
    assert updated.json()["type"] == "action" and updated.json()["name"] == "Renamed"
    exported = (
        await client.get("/api/v1/functions/export?include_valves=true", headers=headers)
    ).json()
    assert exported[0]["valves"] == {"priority": 0, "requests_per_minute": 3}
    assert (await client.delete(f"{base}/delete", headers=headers)).json() is True
    assert (await client.get(base, headers=headers)).status_code == 404


async def test_users_cannot_create_or_read_sources(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    await create(client, ada["token"], "echo", ACTION)
    as_uma = bearer(uma["token"])
    assert (await create(client, uma["token"], "mine", ACTION)).status_code == 403
    for path in ("/api/v1/functions/id/echo", "/api/v1/functions/export", "/api/v1/functions/list"):
        response = await client.get(path, headers=as_uma)
        assert response.status_code == 403 and "class Action" not in response.text
    listed = (await client.get("/api/v1/functions/", headers=as_uma)).json()
    assert [f["id"] for f in listed] == ["echo"] and "content" not in listed[0]


async def test_sync_is_all_or_nothing(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    await create(client, ada["token"], "echo", ACTION)
    good = {"id": "manifold", "name": "M", "content": MANIFOLD_PIPE, "is_active": True}
    bad = {"id": "broken", "name": "B", "content": "class Pipe(:"}
    refused = await client.post(
        "/api/v1/functions/sync", headers=headers, json={"functions": [good, bad]}
    )
    assert refused.status_code == 400
    assert [f["id"] for f in (await client.get("/api/v1/functions/", headers=headers)).json()] == [
        "echo"
    ]
    synced = await client.post(
        "/api/v1/functions/sync", headers=headers, json={"functions": [good]}
    )
    assert [(f["id"], f["is_active"]) for f in synced.json()] == [("manifold", True)]


async def test_plugins_can_be_turned_off(make_client: MakeClient) -> None:
    async with make_client(enable_plugins=False) as client:
        ada = await signup(client, "Ada")
        await create(client, ada["token"], "echo", ACTION)
        assert (await client.get("/api/v1/functions/", headers=bearer(ada["token"]))).json() == []
