"""The request body guard (core/bodies.py): on every route that takes a body, JSON nested
past the limit gets a JSON 400 and a body past the size limit a JSON 413, before the route
runs; form and file uploads keep their own limit and are not read as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest

from owlet.core.bodies import nesting_exceeds, too_deep, too_large
from owlet.core.validation import MAX_JSON_DEPTH
from tests.conftest import MakeClient
from tests.support import bearer, registered_routes, signup

DEPTHS = (MAX_JSON_DEPTH + 1, 900, 100_000)
UPLOADS = {("POST", "/api/v1/files/")}  # multipart only: a JSON body there is a 422


def deep_body(depth: int) -> bytes:
    """An object whose field nests arrays so the whole body is `depth` levels deep."""
    inner = depth - 1
    return b'{"chat": ' + b"[" * inner + b"]" * inner + b', "name": "x"}'


async def test_every_body_route_refuses_deep_json_before_it_runs(make_client: MakeClient) -> None:
    async with make_client(env="dev") as client:
        admin = await signup(client, "Ada")
        routes = {
            (r.method, re.sub(r"\{[^}]+\}", "x", r.path))
            for r in registered_routes(client.app)  # type: ignore[attr-defined]
            if r.method in ("POST", "PUT", "PATCH", "DELETE")
        }
        assert len(routes) > 100  # the app's routes, not an empty list
        failures = []
        for depth in DEPTHS:
            body = deep_body(depth)
            for method, path in sorted(routes):
                headers = {**bearer(admin["token"]), "content-type": "application/json"}
                response = await client.request(method, path, content=body, headers=headers)
                if (method, path) in UPLOADS:
                    ok = 400 <= response.status_code < 500 and "detail" in response.json()
                else:
                    ok = response.status_code == 400 and response.json() == {"detail": too_deep()}
                if not ok:
                    failures.append(f"{depth} {method} {path}: {response.status_code} "
                                    f"{response.text[:100]}")  # fmt: skip
        assert not failures, "\n".join(failures)


async def test_the_deepest_allowed_body_reaches_the_route(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        # The limit counts the body's own object: 32 levels in all still saves.
        nested = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
        body = f'{{"chat": {{"title": "t", "x": {nested}}}}}'.encode()
        response = await client.post(
            "/api/v1/chats/new",
            content=body,
            headers={**bearer(admin["token"]), "content-type": "application/json"},
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/vnd.api+json"])
async def test_any_body_that_may_be_read_as_json_is_checked(
    make_client: MakeClient, content_type: str | None
) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        if content_type:
            headers["content-type"] = content_type
        # The Anthropic route reads the raw body whatever its type.
        response = await client.post("/api/v1/messages", content=deep_body(900), headers=headers)
        assert response.status_code == 400
        assert response.json() == {"detail": too_deep()}


async def test_deep_json_split_across_chunks_is_refused(make_client: MakeClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"chat": '
        for _ in range(100):
            yield b"[" * 1000
        yield b"]" * 100_000 + b"}"

    async with make_client() as client:
        admin = await signup(client, "Ada")
        response = await client.post(
            "/api/v1/chats/new",
            content=chunks(),
            headers={**bearer(admin["token"]), "content-type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json() == {"detail": too_deep()}


async def test_oversize_bodies_get_413_declared_or_streamed(make_client: MakeClient) -> None:
    limit = 4096
    big = json.dumps({"chat": {"title": "x" * (limit + 10)}}).encode()

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    async with make_client(max_request_body_size=limit) as client:
        admin = await signup(client, "Ada")
        headers = {**bearer(admin["token"]), "content-type": "application/json"}
        for content in (big, streamed()):
            response = await client.post("/api/v1/chats/new", content=content, headers=headers)
            assert response.status_code == 413
            assert response.json() == {"detail": too_large(limit)}
        small = json.dumps({"chat": {"title": "x" * (limit - 100)}}).encode()
        response = await client.post("/api/v1/chats/new", content=small, headers=headers)
        assert response.status_code == 200, response.text


async def test_uploads_are_not_read_as_json(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        brackets = b"[" * 100_000
        response = await client.post(
            "/api/v1/files/",
            headers=bearer(admin["token"]),
            files={"file": ("brackets.txt", brackets, "text/plain")},
            params={"process": "false"},
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[]", False),
        ('"' + "[" * 100 + '"', False),  # brackets inside a string do not nest
        ('["\\"' + "[" * 100 + '"]', False),  # nor after an escaped quote
        ("[" * 33 + "]" * 33, True),
        ("[" * 32 + "]" * 32, False),
        ("{" * 40, True),  # unclosed: a recursive parser would still go 40 deep
        ("]" * 40 + "[" * 20, False),
        ('{"a": [' * 17 + "1" + "]}" * 17, True),
    ],
)
def test_nesting_is_measured_as_a_parser_would_nest(text: str, deep: bool) -> None:
    assert nesting_exceeds(text) is deep
    assert nesting_exceeds(text.encode("utf-16")) is deep  # json.loads reads UTF-16 bytes too
