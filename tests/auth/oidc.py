"""OIDC test helpers: a real identity provider (oidc-provider-mock) on a loopback port, owlet
as a real server configured for it, and the browser's redirect dance driven with httpx."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from tests.gateway import owlet_server
from tests.support import Backend

CLIENT_ID = "owlet-test-client"
CLIENT_SECRET = "owlet-test-secret"


@contextmanager
def identity_provider() -> Iterator[str]:
    """oidc-provider-mock in a thread on a free port; yields its issuer URL. In CI a provider
    that cannot start fails the test instead of skipping it."""
    try:
        import oidc_provider_mock
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        message = f"oidc-provider-mock is not installed ({exc}); pip install -e .[dev]"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: tests must not skip)")
        pytest.skip(message)
    # require_nonce: the provider refuses an authorization request without one, so the
    # tests also prove owlet sends it.
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        issuer = f"http://localhost:{server.server_port}"
        httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5).raise_for_status()
        yield issuer


def oidc_env(issuer: str, **overrides: str) -> dict[str, str]:
    return {
        "OPENID_PROVIDER_URL": f"{issuer}/.well-known/openid-configuration",
        "OAUTH_CLIENT_ID": CLIENT_ID,
        "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_PROVIDER_NAME": "Test IdP",
        "ENABLE_OAUTH_SIGNUP": "true",
        **overrides,
    }


@contextmanager
def owlet_for(backend: Backend, data_dir: Path, issuer: str, **env: str) -> Iterator[str]:
    with owlet_server(backend, data_dir, oidc_env(issuer, **env)) as (base, _proc):
        yield base


def person(**claims: Any) -> tuple[str, dict[str, Any]]:
    """A fresh subject and its claims (an email and a name unless given)."""
    sub = f"sub-{uuid.uuid4().hex[:12]}"
    claims.setdefault("email", f"{sub}@example.com")
    claims.setdefault("name", f"Person {sub[-4:]}")
    return sub, claims


@dataclass
class Outcome:
    response: httpx.Response  # owlet's answer to the callback
    callback_url: str
    state: str

    @property
    def location(self) -> str:
        return self.response.headers.get("location", "")

    @property
    def error(self) -> str | None:
        values = parse_qs(urlsplit(self.location).query).get("error")
        return values[0] if values else None

    @property
    def token(self) -> str | None:
        return self.response.cookies.get("token")


async def register(issuer: str, sub: str, claims: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as idp:
        (await idp.put(f"{issuer}/users/{quote(sub, safe='')}", json=claims)).raise_for_status()


async def start(browser: httpx.AsyncClient, base: str, sub: str) -> tuple[str, str]:
    """Click the provider's button and consent as `sub`: (callback URL, state)."""
    login = await browser.get(f"{base}/oauth/oidc/login")
    assert login.status_code == 302, login.text
    authorize = login.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    consent = await browser.post(authorize, data={"sub": sub})  # the provider's form
    assert consent.status_code == 302, consent.text
    callback = consent.headers["location"]
    assert callback.startswith(f"{base}/oauth/oidc/login/callback?"), callback
    return callback, parse_qs(urlsplit(callback).query)["state"][0]


async def sign_in(base: str, issuer: str, sub: str, claims: dict[str, Any]) -> Outcome:
    """The whole round trip in one fresh browser (cookie jar)."""
    await register(issuer, sub, claims)
    async with httpx.AsyncClient(timeout=30) as browser:
        callback, state = await start(browser, base, sub)
        done = await browser.get(callback)
        return Outcome(done, callback, state)


async def session_user(base: str, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{base}/api/v1/auths/", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
