"""Hostile input on every route, driven by the OpenAPI document, on both databases.

Each body field, query parameter and path parameter gets values no database stores as
given (NUL, lone surrogates, NaN, huge integers, deep nesting, over-long ids). The answer
must be a JSON 4xx (or a success), never a 5xx: the client hook fails the test on any 5xx.
"""

from __future__ import annotations

import json
from typing import Any

from owlet.auth import tokens
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

NAN_BODY = b'{"a": NaN, "name": "x"}'


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_STRINGS = ["a\x00b", "\ud800", "x" * 100_000]
HOSTILE_VALUES: list[Any] = [
    *HOSTILE_STRINGS,
    10**30,
    -(10**30),
    1.5e308 * 10,  # inf
    {"k": "\x00"},
    {"\x00": 1},
    ["\x00"],
    _nested(60),
    None,
    True,
]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _resolve(spec, options[0]) if options else {}
    return schema


def _baseline(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "string":
        return "x"
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object" and "properties" in schema:
        return {k: _baseline(spec, v) for k, v in schema["properties"].items()}
    return {}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def _cases(spec: dict[str, Any], op: dict[str, Any]) -> list[tuple[dict[str, str], bytes | None]]:
    """(query params, raw JSON body) combinations to try for one operation."""
    cases: list[tuple[dict[str, str], bytes | None]] = []
    body_schema = (
        op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    )
    if body_schema is not None:
        resolved = _resolve(spec, body_schema)
        baseline = _baseline(spec, body_schema)
        props = resolved.get("properties", {})
        if props:
            for name in props:
                for value in HOSTILE_VALUES:
                    cases.append(({}, _dumps({**baseline, name: value})))
        else:
            for value in HOSTILE_VALUES:
                cases.append(({}, _dumps({"k": value})))
        cases.append(({}, NAN_BODY))
        cases.append(({}, b"[]"))
        cases.append(({}, b'"\\u0000"'))
    for param in op.get("parameters", []):
        if param["in"] != "query":
            continue
        # Already percent-encoded: NUL, invalid UTF-8, huge numbers, LIKE wildcards.
        for value in ("%00", "%ED%A0%80", "%FF", "1" * 30, "-" + "9" * 30, "_", "%25"):
            cases.append(({param["name"]: value}, None))
    return cases or [({}, None)]


async def test_no_route_answers_5xx_to_hostile_input(
    make_client: MakeClient, openai_up: FakeUpstream, ollama_up: FakeUpstream
) -> None:
    async with make_client(env="dev", **gateway_settings(openai_up, ollama_up)) as client:
        admin = await signup(client, "Ada")
        other = await add_user(client, admin["token"], "Bob")
        group = await client.post(
            "/api/v1/groups/create", headers=bearer(admin["token"]), json={"name": "g"}
        )
        ids = {"user_id": other["id"], "group_id": group.json()["id"]}
        spec = (await client.get("/openapi.json")).json()
        secret = client.app.state.container.secret_key  # type: ignore[attr-defined]
        calls = 0
        operations = sorted(
            (
                (path, method, op)
                for path, ops in spec["paths"].items()
                for method, op in ops.items()
            ),
            key=lambda item: item[1] == "delete",
        )
        for path, method, op in operations:
            templates = [path]
            for name in ids:
                if "{" + name + "}" in path:
                    templates += [
                        path.replace("{" + name + "}", bad)
                        for bad in ("%00", "%ED%A0%80", "a" * 300)
                    ]
            for template in templates:
                concrete = template
                for name, value in ids.items():
                    concrete = concrete.replace("{" + name + "}", value)
                for params, body in _cases(spec, op):
                    token = tokens.issue(secret, admin["id"], 600).token  # sign-out revokes
                    headers = {**bearer(token), "content-type": "application/json"}
                    query = "&".join(f"{k}={v}" for k, v in params.items())
                    url = f"{concrete}?{query}" if query else concrete
                    response = await client.request(
                        method.upper(), url, content=body, headers=headers
                    )
                    calls += 1
                    if response.status_code >= 400:
                        assert "detail" in response.json(), (method, concrete, response.text)
        assert calls > 500
