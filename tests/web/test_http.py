"""Cross-cutting HTTP behaviour (seed page 000): JSON errors, headers, CORS, docs, health."""

from __future__ import annotations

import logging

import httpx
import pytest
from asgi_lifespan import LifespanManager

from owlet.app import create_app
from tests.conftest import MakeClient
from tests.support import Backend, bearer, make_settings, registered_routes, signup


async def test_unknown_route_and_wrong_method_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
    wrong = await client.delete("/api/v1/auths/signin")
    assert wrong.status_code == 405 and wrong.json() == {"detail": "Method Not Allowed"}
    assert "x-process-time" in wrong.headers


async def test_validation_errors_are_422_lists(client: httpx.AsyncClient) -> None:
    # Under /api/v1/auths the reason is withheld (the body may hold a password), as 0.12.4.
    response = await client.post("/api/v1/auths/signin", json={"email": "a@b.co"})
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid authentication request."}
    admin = await signup(client, "Ada")
    chat = await client.post("/api/v1/chats/new", headers=bearer(admin["token"]), json={})
    assert chat.status_code == 422
    detail = chat.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"] == ["body", "chat"]
    bad_query = await client.get("/api/v1/users/?page=abc", headers=bearer(admin["token"]))
    assert bad_query.status_code == 422


async def test_process_time_and_request_id_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "abc-123"})
    assert float(response.headers["x-process-time"]) >= 0
    assert response.headers["x-request-id"] == "abc-123"
    hostile = await client.get("/health", headers={"x-request-id": "a\tb" * 50})
    assert hostile.headers["x-request-id"] != "a\tb" * 50


async def test_unexpected_error_is_json_500_and_logged(
    backend: Backend, clean_db: object, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(backend, tmp_path / "data"))  # type: ignore[operator]

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            with caplog.at_level(logging.ERROR, logger="owlet.errors"):
                response = await client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Internal Server Error"
    assert "secret internals" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert any(body["request_id"] in r.getMessage() for r in caplog.records)


async def test_docs_hidden_in_prod(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 404


async def test_docs_and_accurate_openapi_in_dev(make_client: MakeClient) -> None:
    async with make_client(env="dev") as client:
        assert (await client.get("/docs")).status_code == 200
        spec = (await client.get("/openapi.json")).json()
        app = client.app  # type: ignore[attr-defined]
        routes = {
            (r.path.replace(":path}", "}"), r.method.lower())
            for r in registered_routes(app)
            if r.in_schema
        }
        assert len(routes) > 40
        documented = {(p, m) for p, ops in spec["paths"].items() for m in ops}
        assert routes == documented
        signin = spec["paths"]["/api/v1/auths/signin"]["post"]
        assert "SigninForm" in str(signin["requestBody"])
        assert "SessionUserResponse" in str(signin["responses"]["200"])


async def test_cors_wildcard_has_no_credentials(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/v1/auths/signin",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


async def test_cors_listed_origins(make_client: MakeClient) -> None:
    async with make_client(cors_allow_origin="https://a.example;https://b.example") as client:
        ok = await client.get("/health", headers={"origin": "https://b.example"})
        assert ok.headers["access-control-allow-origin"] == "https://b.example"
        assert ok.headers["access-control-allow-credentials"] == "true"
        other = await client.get("/health", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_health_version_and_config(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/db")).json() == {"status": True}
    version = (await client.get("/api/version")).json()
    assert version["version"]
    public = (await client.get("/api/config")).json()
    assert public["onboarding"] is True and public["features"]["enable_signup"] is True
    assert "permissions" not in public
    admin = await signup(client, "Ada")
    anonymous = (await client.get("/api/config")).json()
    assert "onboarding" not in anonymous and anonymous["features"]["enable_signup"] is False
    full = (await client.get("/api/config", headers=bearer(admin["token"]))).json()
    assert full["permissions"]["chat"]["controls"] is True
    # A stale token just gives the public subset, never an error.
    stale = await client.get("/api/config", headers=bearer("bogus"))
    assert stale.status_code == 200 and "permissions" not in stale.json()
