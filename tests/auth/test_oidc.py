"""OpenID Connect sign-in against a real identity provider, through a real owlet server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from owlet.errors import Messages
from tests.auth.oidc import (
    CLIENT_ID,
    identity_provider,
    owlet_for,
    person,
    register,
    session_user,
    sign_in,
    start,
)
from tests.support import PASSWORD, Backend, bearer, signup

# The provider (oidc-provider-mock) uses authlib APIs that authlib itself marks deprecated.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with identity_provider() as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path, clean_db: AsyncEngine) -> Path:
    return tmp_path / "data"


async def password_admin(base: str) -> str:
    async with httpx.AsyncClient() as client:
        signup = await client.post(
            f"{base}/api/v1/auths/signup",
            json={"name": "Ada", "email": "ada@example.com", "password": PASSWORD},
        )
    assert signup.status_code == 200, signup.text
    return str(signup.json()["token"])


async def admin_get(base: str, token: str, path: str) -> Any:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def user_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text('SELECT count(*) FROM "user"'))).scalar_one())


async def test_new_then_returning_account(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    with owlet_for(backend, data_dir, issuer) as base:
        async with httpx.AsyncClient() as anonymous:
            config = (await anonymous.get(f"{base}/api/config")).json()
        assert config["oauth"] == {"providers": {"oidc": "Test IdP"}, "auto_redirect": False}

        sub, claims = person(name="Grace Hopper")
        first = await sign_in(base, issuer, sub, claims)
        assert first.response.status_code == 307
        assert first.location == f"{base}/auth"
        assert first.token
        token_cookie = next(
            h for h in first.response.headers.get_list("set-cookie") if h.startswith("token=")
        )
        assert "httponly" not in token_cookie.lower()  # the page's script reads it
        me = await session_user(base, first.token)
        assert (me["email"], me["name"], me["role"]) == (claims["email"], "Grace Hopper", "admin")

        # Same subject, a changed address at the provider: still the same account.
        claims["email"] = "grace.new@example.com"
        again = await sign_in(base, issuer, sub, claims)
        assert again.error is None and again.token
        assert (await session_user(base, again.token))["id"] == me["id"]
        assert await user_count(clean_db) == 1


async def test_merge_by_email_only_when_enabled(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    sub, claims = person(email="ada@example.com")
    with owlet_for(backend, data_dir, issuer) as base:
        admin = await session_user(base, await password_admin(base))
        refused = await sign_in(base, issuer, sub, claims)
        assert refused.error == Messages.EMAIL_TAKEN and refused.token is None
    assert await user_count(clean_db) == 1
    with owlet_for(backend, data_dir, issuer, OAUTH_MERGE_ACCOUNTS_BY_EMAIL="true") as base:
        # An address the provider does not vouch for never takes over an account: neither
        # one it calls unverified, nor one without the claim, nor a string that is not "true".
        for doubt in ({"email_verified": False}, {}, {"email_verified": "no"}):
            unverified = await sign_in(base, issuer, sub, {**claims, **doubt})
            assert unverified.error == Messages.EMAIL_TAKEN, doubt
        merged = await sign_in(base, issuer, sub, {**claims, "email_verified": True})
        assert merged.error is None and merged.token
        me = await session_user(base, merged.token)
        assert (me["id"], me["role"]) == (admin["id"], "admin")
    with owlet_for(backend, data_dir, issuer) as base:  # merge off again: the link stays
        linked = await sign_in(base, issuer, sub, {**claims, "email": "other@example.com"})
        assert linked.token, linked.error
        assert (await session_user(base, linked.token or ""))["id"] == admin["id"]
    assert await user_count(clean_db) == 1


async def test_role_claims(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    env = {
        "ENABLE_OAUTH_ROLE_MANAGEMENT": "true",
        "OAUTH_ROLES_CLAIM": "realm.roles",
        "OAUTH_ALLOWED_ROLES": "staff",
        "OAUTH_ADMIN_ROLES": "boss",
        "DEFAULT_USER_ROLE": "pending",
    }
    with owlet_for(backend, data_dir, issuer, **env) as base:
        await password_admin(base)  # the first account is admin whatever the claims say

        async def role_of(sub: str, claims: dict[str, Any]) -> str | None:
            outcome = await sign_in(base, issuer, sub, claims)
            if outcome.token is None:
                return outcome.error
            return str((await session_user(base, outcome.token))["role"])

        staff, staff_claims = person(realm={"roles": ["staff"]})
        assert await role_of(staff, staff_claims) == "user"
        boss, boss_claims = person(realm={"roles": ["boss", "staff"]})
        assert await role_of(boss, boss_claims) == "admin"
        nobody, nobody_claims = person()
        assert await role_of(nobody, nobody_claims) == "pending"
        intern, intern_claims = person(realm={"roles": ["intern"]})
        assert await role_of(intern, intern_claims) == Messages.ACCESS_PROHIBITED
        # The provider stays the authority: a promotion there applies at the next sign-in.
        staff_claims["realm"] = {"roles": ["boss"]}
        assert await role_of(staff, staff_claims) == "admin"
    assert await user_count(clean_db) == 4  # the intern got no account


async def test_group_claims(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    env = {
        "ENABLE_OAUTH_GROUP_MANAGEMENT": "true",
        "ENABLE_OAUTH_GROUP_CREATION": "true",
        "OAUTH_GROUP_CLAIM": "groups",
        "OAUTH_BLOCKED_GROUPS": '["secret-*"]',
    }
    with owlet_for(backend, data_dir, issuer, **env) as base:
        admin = await password_admin(base)
        headers = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(base_url=base, headers=headers) as api:
            made = await api.post("/api/v1/groups/create", json={"name": "ops", "description": ""})
            assert made.status_code == 200, made.text

        async def groups_of(user_id: str) -> set[str]:
            names = set()
            async with httpx.AsyncClient(base_url=base, headers=headers) as api:
                for group in (await api.get("/api/v1/groups/")).json():
                    members = await api.post(f"/api/v1/groups/id/{group['id']}/users")
                    assert members.status_code == 200, members.text
                    if user_id in {u["id"] for u in members.json()}:
                        names.add(group["name"])
            return names

        sub, claims = person(groups=["eng", "ops", "secret-x"])
        first = await sign_in(base, issuer, sub, claims)
        me = await session_user(base, first.token or "")
        assert await groups_of(me["id"]) == {"eng", "ops"}
        all_names = {g["name"] for g in await admin_get(base, admin, "/api/v1/groups/")}
        assert all_names == {"eng", "ops"}  # the blocked group was not created

        claims["groups"] = "eng"  # a string claim is split on OAUTH_GROUPS_SEPARATOR
        await sign_in(base, issuer, sub, claims)
        assert await groups_of(me["id"]) == {"eng"}


async def test_allowed_domains_and_closed_signup(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    env = {
        "OAUTH_ALLOWED_DOMAINS": "example.com, example.org",
        "ENABLE_OAUTH_SIGNUP": "false",
        "OAUTH_MERGE_ACCOUNTS_BY_EMAIL": "true",
    }
    with owlet_for(backend, data_dir, issuer, **env) as base:
        admin = await session_user(base, await password_admin(base))
        outsider, outsider_claims = person(email="mallory@evil.example.net")
        refused = await sign_in(base, issuer, outsider, outsider_claims)
        assert refused.error == Messages.ACCESS_PROHIBITED and refused.token is None
        newcomer, newcomer_claims = person(email="new@example.org")
        closed = await sign_in(base, issuer, newcomer, newcomer_claims)
        assert closed.error == Messages.ACCESS_PROHIBITED and closed.token is None
        # An allowed domain counts only for an address the provider vouches for.
        unvouched = await sign_in(base, issuer, *person(email="eve@example.com"))
        assert unvouched.error == Messages.ACCESS_PROHIBITED
        # Sign-up closed still lets an existing account in (here through the email merge).
        known, known_claims = person(email="ADA@example.com", email_verified="true")
        let_in = await sign_in(base, issuer, known, known_claims)
        assert (await session_user(base, let_in.token or ""))["id"] == admin["id"]
    assert await user_count(clean_db) == 1


FORGED = [
    {"aud": "another-client"},  # an ID token issued to someone else
    {"aud": ["another-client"], "azp": CLIENT_ID},  # azp is no substitute for aud
    {"aud": [CLIENT_ID, "another-client"], "azp": "another-client"},
    {"iss": "http://localhost:1"},
    {"nonce": "not-the-one-we-sent"},
]


async def test_id_tokens_not_for_us_are_refused(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    with owlet_for(backend, data_dir, issuer) as base:
        sub, claims = person()
        for forged in FORGED:
            refused = await sign_in(base, issuer, sub, {**claims, **forged})
            assert refused.response.status_code == 307, forged
            assert (refused.error, refused.token) == (Messages.INVALID_CRED, None), forged
        assert await user_count(clean_db) == 0
        # The same person with an honest token gets in: the refusals were the claims' doing.
        honest = {"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}
        accepted = await sign_in(base, issuer, sub, {**claims, **honest})
        assert accepted.error is None and accepted.token


async def test_state_is_bound_to_the_browser_and_single_use(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    with owlet_for(backend, data_dir, issuer) as base:
        sub, claims = person()
        await register(issuer, sub, claims)
        async with httpx.AsyncClient() as victim, httpx.AsyncClient() as attacker:
            # A callback URL started in another browser (login CSRF): refused, and the
            # state survives for the browser it belongs to.
            callback, _state = await start(attacker, base, sub)
            await start(victim, base, sub)
            planted = await victim.get(callback)
            assert planted.status_code == 307 and "error=" in planted.headers["location"]
            assert "token" not in planted.cookies
            used = await attacker.get(callback)
            assert used.headers["location"] == f"{base}/auth" and used.cookies.get("token")
            # The same callback again, state cookie and all: a used state is refused.
            attacker.cookies.set("owlet_oauth_state", _state, path="/oauth")
            replayed = await attacker.get(callback)
            assert "error=" in replayed.headers["location"] and "token" not in replayed.cookies
            async with clean_db.connect() as conn:
                left = await conn.execute(
                    text("SELECT count(*) FROM oauth_state WHERE state = :s"), {"s": _state}
                )
                assert left.scalar_one() == 0

        async with httpx.AsyncClient() as browser:
            callback, state = await start(browser, base, sub)
            split = urlsplit(callback)
            code = parse_qs(split.query)["code"][0]
            base_callback = f"{base}{split.path}"
            missing = await browser.get(base_callback, params={"code": code})
            forged_state = "f" * 43
            browser.cookies.set("owlet_oauth_state", forged_state, path="/oauth")
            forged = await browser.get(base_callback, params={"code": code, "state": forged_state})
            browser.cookies.set("owlet_oauth_state", "etat", path="/oauth")
            accented = await browser.get(base_callback, params={"code": code, "state": "étét"})
            for answer in (missing, forged, accented):
                assert answer.status_code == 307, answer.text
                assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == [
                    Messages.INVALID_CRED
                ]
        async with httpx.AsyncClient() as anonymous:
            for path in ("/oauth/nope/login", "/oauth/nope/login/callback?state=x&code=y"):
                unknown = await anonymous.get(f"{base}{path}")
                assert unknown.status_code == 404 and "detail" in unknown.json()
    assert await user_count(clean_db) == 1


async def test_twenty_concurrent_first_logins_make_one_admin(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    with owlet_for(backend, data_dir, issuer, DEFAULT_USER_ROLE="user") as base:
        people = [person() for _ in range(20)]
        outcomes = await asyncio.gather(*(sign_in(base, issuer, s, c) for s, c in people))
        assert [o.error for o in outcomes] == [None] * 20
        roles = [(await session_user(base, o.token or ""))["role"] for o in outcomes]
        assert sorted(roles) == ["admin"] + ["user"] * 19
    assert await user_count(clean_db) == 20


async def test_signout_ends_the_provider_session(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    env = {"WEBUI_AUTH_SIGNOUT_REDIRECT_URL": "http://127.0.0.1:9/bye"}
    with owlet_for(backend, data_dir, issuer, **env) as base:
        sub, claims = person()
        outcome = await sign_in(base, issuer, sub, claims)
        id_token = outcome.response.cookies.get("oauth_id_token")
        assert outcome.token and id_token
        async with httpx.AsyncClient(base_url=base) as browser:
            browser.cookies.set("oauth_id_token", id_token)
            answer = await browser.post(
                "/api/v1/auths/signout", headers={"Authorization": f"Bearer {outcome.token}"}
            )
        assert answer.status_code == 200, answer.text
        url = answer.json()["redirect_url"]
        assert url.startswith(f"{issuer}/oauth2/end_session?")
        query = parse_qs(urlsplit(url).query)
        assert query["id_token_hint"] == [id_token]
        assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:9/bye"]
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(url)).status_code == 200  # the provider's sign-out page
            # Without an OAuth session, only the configured redirect.
            plain = (await anonymous.post(f"{base}/api/v1/auths/signout")).json()
        assert plain["redirect_url"] == "http://127.0.0.1:9/bye"


async def test_deactivated_or_removed_users_cannot_sign_in(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine
) -> None:
    with owlet_for(backend, data_dir, issuer, DEFAULT_USER_ROLE="user") as base:
        admin = await password_admin(base)
        sub, claims = person()
        first = await sign_in(base, issuer, sub, claims)
        me = await session_user(base, first.token or "")
        async with clean_db.begin() as conn:
            await conn.execute(
                text("UPDATE auth SET active = false WHERE id = :id"), {"id": me["id"]}
            )
        refused = await sign_in(base, issuer, sub, claims)
        assert refused.error == Messages.ACCESS_PROHIBITED and refused.token is None
        async with httpx.AsyncClient() as api:
            removed = await api.delete(
                f"{base}/api/v1/users/{me['id']}", headers={"Authorization": f"Bearer {admin}"}
            )
            assert removed.status_code == 200, removed.text
        async with clean_db.connect() as conn:
            links = await conn.execute(
                text("SELECT count(*) FROM oauth_identity WHERE sub = :s"), {"s": sub}
            )
            assert links.scalar_one() == 0
    with owlet_for(backend, data_dir, issuer, ENABLE_OAUTH_SIGNUP="false") as base:
        gone = await sign_in(base, issuer, sub, claims)
        assert gone.error == Messages.ACCESS_PROHIBITED and gone.token is None


async def test_the_admin_page_shows_oauth_settings_read_only(client: httpx.AsyncClient) -> None:
    """The web client's Authentication tab reads them; they come from the environment."""
    admin = await signup(client, "Ada")
    shown = await client.get("/api/v1/auths/admin/config/oauth", headers=bearer(admin["token"]))
    assert shown.status_code == 200
    body = shown.json()
    assert body["ENABLE_OAUTH_PERSISTENT_CONFIG"] is False  # the page then offers no Save
    assert body["OAUTH_SCOPES"] == "openid email profile" and body["OAUTH_CLIENT_SECRET"] == ""
    saved = await client.post("/api/v1/auths/admin/config/oauth", headers=bearer(admin["token"]),
                              json={"ENABLE_OAUTH_SIGNUP": True})  # fmt: skip
    assert saved.status_code == 400 and "environment" in saved.json()["detail"]
