"""`/api/v1/auths` through HTTP: sign-up, sign-in, sessions, profiles, passwords, admin."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
import pytest

from tests.conftest import MakeClient
from tests.support import PASSWORD, add_user, bearer, signup

INVALID_CRED = (
    "The email or password provided is incorrect. Please check for typos and try logging in again."
)


async def test_signup_signin_and_session_fields(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada", "Ada@Example.com")
    assert admin["role"] == "admin" and admin["token_type"] == "Bearer"
    assert admin["email"] == "ada@example.com"
    assert admin["permissions"]["chat"]["controls"] is True
    claims = jwt.decode(admin["token"], options={"verify_signature": False})
    assert set(claims) >= {"id", "iat", "exp", "jti"} and claims["id"] == admin["id"]
    assert abs(claims["exp"] - claims["iat"] - 4 * 7 * 86400) <= 1
    assert jwt.get_unverified_header(admin["token"])["alg"] == "HS256"

    response = await client.post(
        "/api/v1/auths/signin", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.cookies.get("token") == response.json()["token"]
    assert "httponly" in response.headers["set-cookie"].lower()

    me = await client.get("/api/v1/auths/", headers=bearer(response.json()["token"]))
    assert me.status_code == 200 and me.json()["id"] == admin["id"]


async def test_second_signup_is_pending_and_signup_closes(client: httpx.AsyncClient) -> None:
    await signup(client, "Ada")
    # First sign-up closed public sign-up, as Open WebUI does.
    response = await client.post(
        "/api/v1/auths/signup",
        json={"name": "Bob", "email": "bob@example.com", "password": PASSWORD},
    )
    assert response.status_code == 403


async def test_open_signup_gives_default_role(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        config = await client.get("/api/v1/auths/admin/config", headers=bearer(admin["token"]))
        body = {**config.json(), "ENABLE_SIGNUP": True}
        saved = await client.post(
            "/api/v1/auths/admin/config", headers=bearer(admin["token"]), json=body
        )
        assert saved.status_code == 200 and saved.json()["ENABLE_SIGNUP"] is True
        bob = await signup(client, "Bob")
        assert bob["role"] == "pending"
        dup = await client.post(
            "/api/v1/auths/signup",
            json={"name": "Bob", "email": "BOB@example.com", "password": PASSWORD},
        )
        assert dup.status_code == 400
        assert dup.json()["detail"].startswith("Uh-oh! This email is already registered")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "A", "email": "not-an-email", "password": PASSWORD}, 400),
        ({"name": "A", "email": "a@example.com", "password": "x" * 73}, 400),
        ({"name": "", "email": "a@example.com", "password": PASSWORD}, 422),
        ({"email": "a@example.com", "password": PASSWORD}, 422),
        ({"name": "A", "email": "a@example.com", "password": 5}, 422),
        ({"name": "A", "email": "a@example.com", "password": PASSWORD,
          "profile_image_url": "javascript:alert(1)"}, 422),
    ],
)  # fmt: skip
async def test_signup_rejects_bad_input(
    client: httpx.AsyncClient, body: dict[str, object], status: int
) -> None:
    response = await client.post("/api/v1/auths/signup", json=body)
    assert response.status_code == status
    assert "detail" in response.json()
    users = await client.get("/api/config")
    assert users.json().get("onboarding") is True  # nothing half-written


async def test_signup_rejects_non_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auths/signup", content=b"{not json", headers={"content-type": "application/json"}
    )
    # As Open WebUI 0.12.4: a bad body on /auths/* is not echoed back (it may hold a password).
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid authentication request."}


async def test_signin_wrong_password_and_unknown_email(client: httpx.AsyncClient) -> None:
    await signup(client, "Ada")
    for email, password in (("ada@example.com", "wrong"), ("nobody@example.com", PASSWORD)):
        response = await client.post(
            "/api/v1/auths/signin", json={"email": email, "password": password}
        )
        assert response.status_code == 400
        assert response.json() == {"detail": INVALID_CRED}


async def test_missing_and_invalid_credentials_are_401(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    assert (await client.get("/api/v1/auths/")).status_code == 401
    for headers in (
        bearer("garbage"),
        bearer(admin["token"][:-3] + "abc"),
        bearer("sk-" + "0" * 32),
        {"Authorization": "Basic abc"},
    ):
        response = await client.get("/api/v1/auths/", headers=headers)
        assert response.status_code == 401, headers
        assert "detail" in response.json()
    forged = jwt.encode(
        {"id": admin["id"], "jti": "x", "iat": int(time.time())},
        "another-secret-key-that-is-long-enough-0123456789",
    )
    assert (await client.get("/api/v1/auths/", headers=bearer(forged))).status_code == 401


async def test_expired_token_is_rejected(make_client: MakeClient) -> None:
    async with make_client(jwt_expires_in="1s") as client:
        admin = await signup(client, "Ada")
        assert admin["expires_at"] is not None
        await asyncio.sleep(2.1)
        response = await client.get("/api/v1/auths/", headers=bearer(admin["token"]))
        assert response.status_code == 401


async def test_signout_revokes_token_in_db(client: httpx.AsyncClient) -> None:
    await _signout_revokes(client)


async def test_signout_revokes_token_in_redis(
    make_client: MakeClient, redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    async with make_client(redis_url=url, redis_key_prefix=prefix) as client:
        await _signout_revokes(client)


async def _signout_revokes(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    other = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    out = await client.post("/api/v1/auths/signout", headers=bearer(admin["token"]))
    assert out.status_code == 200 and out.json()["status"] is True
    assert (await client.get("/api/v1/auths/", headers=bearer(admin["token"]))).status_code == 401
    # Only that token: the other session goes on.
    still = await client.get("/api/v1/auths/", headers=bearer(other.json()["token"]))
    assert still.status_code == 200


async def test_cookie_carrier(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    client.cookies.set("token", admin["token"])
    try:
        assert (await client.get("/api/v1/auths/")).status_code == 200
    finally:
        client.cookies.clear()


async def test_update_profile_and_password(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    headers = bearer(admin["token"])
    profile = await client.post(
        "/api/v1/auths/update/profile",
        headers=headers,
        json={"name": "Ada L.", "profile_image_url": "https://example.com/a.png", "bio": "hi"},
    )
    assert profile.status_code == 200
    assert profile.json()["name"] == "Ada L."
    me = (await client.get("/api/v1/auths/", headers=headers)).json()
    assert me["bio"] == "hi" and me["profile_image_url"] == "https://example.com/a.png"

    wrong = await client.post(
        "/api/v1/auths/update/password",
        headers=headers,
        json={"password": "nope", "new_password": "new-password-1"},
    )
    assert wrong.status_code == 400
    ok = await client.post(
        "/api/v1/auths/update/password",
        headers=headers,
        json={"password": PASSWORD, "new_password": "new-password-1"},
    )
    assert ok.status_code == 200 and ok.json() is True
    old = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert old.status_code == 400
    new = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": "new-password-1"}
    )
    assert new.status_code == 200


async def test_admin_adds_users_and_edits_config(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    bob = await add_user(client, admin["token"], "Bob", role="user")
    assert bob["role"] == "user"
    me = await client.get("/api/v1/auths/", headers=bearer(bob["token"]))
    assert me.status_code == 200 and me.json()["email"] == "bob@example.com"
    # A user cannot add users or read the admin config.
    denied = await client.post(
        "/api/v1/auths/add",
        headers=bearer(bob["token"]),
        json={"name": "Eve", "email": "eve@example.com", "password": PASSWORD},
    )
    assert denied.status_code == 403
    headers = bearer(admin["token"])
    config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    assert config["ENABLE_API_KEYS"] is True and config["JWT_EXPIRES_IN"] == "4w"
    bad = await client.post(
        "/api/v1/auths/admin/config", headers=headers, json={**config, "JWT_EXPIRES_IN": "soon"}
    )
    assert bad.status_code == 400
    saved = await client.post(
        "/api/v1/auths/admin/config",
        headers=headers,
        json={**config, "JWT_EXPIRES_IN": "2h", "DEFAULT_USER_ROLE": "user"},
    )
    assert saved.status_code == 200
    again = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    assert again["JWT_EXPIRES_IN"] == "2h" and again["DEFAULT_USER_ROLE"] == "user"
    token = (
        await client.post(
            "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
        )
    ).json()
    assert 7190 <= token["expires_at"] - int(time.time()) <= 7200


async def test_admin_config_persists_across_restart(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
        await client.post(
            "/api/v1/auths/admin/config",
            headers=headers,
            json={**config, "API_KEYS_ALLOWED_ENDPOINTS": "/api/models"},
        )
    # A new process with a different env value keeps the admin's choice (the DB wins).
    async with make_client(api_keys_allowed_endpoints="/other") as client:
        config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
        assert config["API_KEYS_ALLOWED_ENDPOINTS"] == "/api/models"


async def test_pending_user_is_forbidden_on_user_routes(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    pending = await add_user(client, admin["token"], "Pat", role="pending")
    headers = bearer(pending["token"])
    assert (await client.get("/api/v1/auths/", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/users/permissions", headers=headers)).status_code == 403
    config = (await client.get("/api/config", headers=headers)).json()
    assert "ui" in config and "permissions" not in config


async def test_token_lifetime_bounds_and_cookie_age(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    headers = bearer(admin["token"])
    config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    for value in ("9999999999999999w", "1" + "0" * 400 + "w", "1ms", "600w"):
        bad = await client.post(
            "/api/v1/auths/admin/config", headers=headers, json={**config, "JWT_EXPIRES_IN": value}
        )
        assert bad.status_code == 400, value
    signin = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert signin.status_code == 200
    cookie = signin.headers["set-cookie"].lower()
    assert "max-age=2419200" in cookie or "max-age=2419199" in cookie
    never = await client.post(
        "/api/v1/auths/admin/config", headers=headers, json={**config, "JWT_EXPIRES_IN": "-1"}
    )
    assert never.status_code == 200
    session = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert session.json()["expires_at"] is None
    assert "max-age" not in session.headers["set-cookie"].lower()
    assert "exp" not in jwt.decode(session.json()["token"], options={"verify_signature": False})


async def test_token_error_details_and_cookie_clearing(client: httpx.AsyncClient) -> None:
    admin = await signup(client, "Ada")
    garbage = await client.get(
        "/api/v1/auths/", headers={"cookie": "token=garbage; oauth_id_token=x; oauth_session_id=y"}
    )
    assert garbage.status_code == 401 and garbage.json() == {"detail": "401 Unauthorized"}
    cleared = " ".join(garbage.headers.get_list("set-cookie"))
    for name in ("token=", "oauth_id_token=", "oauth_session_id="):
        assert name in cleared
    await client.post("/api/v1/auths/signout", headers=bearer(admin["token"]))
    revoked = await client.get("/api/v1/auths/", headers=bearer(admin["token"]))
    assert revoked.json() == {"detail": "Invalid token"}
    # Any Authorization scheme carries the credential, as in Open WebUI.
    fresh = await client.post(
        "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    other = await client.get(
        "/api/v1/auths/", headers={"Authorization": f"Token {fresh.json()['token']}"}
    )
    assert other.status_code == 200


async def test_initial_admin_from_environment(make_client: MakeClient) -> None:
    async with make_client(
        webui_admin_email="Root@Example.com", webui_admin_password="root-pass-1"
    ) as client:
        signin = await client.post(
            "/api/v1/auths/signin", json={"email": "root@example.com", "password": "root-pass-1"}
        )
        assert signin.status_code == 200 and signin.json()["role"] == "admin"
        closed = await client.post(
            "/api/v1/auths/signup",
            json={"name": "Eve", "email": "eve@example.com", "password": PASSWORD},
        )
        assert closed.status_code == 403
    # A second start with users present changes nothing.
    async with make_client(
        webui_admin_email="other@example.com", webui_admin_password="x-pass-123"
    ) as client:
        missing = await client.post(
            "/api/v1/auths/signin", json={"email": "other@example.com", "password": "x-pass-123"}
        )
        assert missing.status_code == 400


async def test_oversized_body_is_json_413(make_client: MakeClient) -> None:
    async with make_client(max_request_body_size=4096) as client:
        big = await client.post(
            "/api/v1/auths/signin", json={"email": "a@example.com", "password": "x" * 10_000}
        )
        assert big.status_code == 413 and "detail" in big.json()

        async def chunks():  # no Content-Length: the limit applies while streaming in
            for _ in range(10):
                yield b"x" * 1000

        streamed = await client.post(
            "/api/v1/auths/signin", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413 and "detail" in streamed.json()


async def test_no_second_factor_is_shown_or_accepted(client: httpx.AsyncClient) -> None:
    """owlet has no multi-factor sign-in: the web client sees it off and cannot turn it on."""
    admin = await signup(client, "Ada")
    headers = bearer(admin["token"])
    status = await client.get("/api/v1/auths/mfa/status", headers=headers)
    assert status.json() == {"enabled": False, "required": False, "recovery_codes_remaining": 0}
    config = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    assert config["ENABLE_MFA"] is False and config["MFA_ALLOW_OAUTH_BYPASS"] is False
    turned_on = await client.post(
        "/api/v1/auths/admin/config", headers=headers, json={**config, "ENABLE_MFA": True}
    )
    assert turned_on.status_code == 422
    after = (await client.get("/api/v1/auths/admin/config", headers=headers)).json()
    assert after == config
