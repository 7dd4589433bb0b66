"""Sign-in without a password form: a trusted proxy's headers, and WEBUI_AUTH=false."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from owlet.auth.modes import SingleUserModeError
from tests.conftest import MakeClient
from tests.gateway import free_port, owlet_process
from tests.support import PASSWORD, Backend, bearer, signup

EMAIL_HEADER = "X-Forwarded-Email"
NAME_HEADER = "X-Forwarded-User"
GROUPS_HEADER = "X-Forwarded-Groups"
TRUSTED = {
    "webui_auth_trusted_email_header": EMAIL_HEADER,
    "webui_auth_trusted_name_header": NAME_HEADER,
    "webui_auth_trusted_groups_header": GROUPS_HEADER,
}
EMPTY = {"email": "", "password": ""}  # what the web client posts in these modes
INVALID_CRED = (
    "The email or password provided is incorrect. Please check for typos and try logging in again."
)


async def proxied_signin(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/auths/signin", json=EMPTY, headers=headers)


async def test_trusted_header_signs_in_and_creates_whoever_the_proxy_names(
    make_client: MakeClient,
) -> None:
    async with make_client(**TRUSTED) as client:
        features = (await client.get("/api/config")).json()["features"]
        assert features["auth_trusted_header"] is True
        missing = await proxied_signin(client)
        assert missing.status_code == 400
        assert missing.json()["detail"].startswith("Your provider has not provided a trusted")

        first = await proxied_signin(
            client, **{EMAIL_HEADER: "Ada@Example.com", NAME_HEADER: "Ada%20Lovelace"}
        )
        assert first.status_code == 200, first.text
        ada = first.json()
        assert (ada["email"], ada["name"], ada["role"]) == (
            "ada@example.com",
            "Ada Lovelace",
            "admin",
        )
        # Sign-up closed with the first account; the proxy still brings in new people.
        assert (await client.get("/api/config")).json()["features"]["enable_signup"] is False
        bob = await proxied_signin(client, **{EMAIL_HEADER: "bob@example.com"})
        assert bob.status_code == 200
        assert (bob.json()["name"], bob.json()["role"]) == ("bob@example.com", "pending")
        again = await proxied_signin(client, **{EMAIL_HEADER: "ada@example.com"})
        assert again.json()["id"] == ada["id"]

        # A token is honoured only for the person the proxy names (when it names anyone).
        token = bearer(ada["token"])
        same = await client.get(
            "/api/v1/auths/", headers={**token, EMAIL_HEADER: "ADA@example.com"}
        )
        assert same.status_code == 200
        other = await client.get(
            "/api/v1/auths/", headers={**token, EMAIL_HEADER: "bob@example.com"}
        )
        assert (other.status_code, other.json()) == (
            401,
            {"detail": "User mismatch. Please sign in again."},
        )
        assert (await client.get("/api/v1/auths/", headers=token)).status_code == 200
        # The proxy owns the credentials.
        change = await client.post(
            "/api/v1/auths/update/password",
            headers=token,
            json={"password": "x", "new_password": "y-pass-123"},
        )
        assert change.status_code == 400


async def test_trusted_groups_header_syncs_existing_groups(make_client: MakeClient) -> None:
    async with make_client(**TRUSTED) as client:
        admin = (await proxied_signin(client, **{EMAIL_HEADER: "ada@example.com"})).json()
        headers = {**bearer(admin["token"]), EMAIL_HEADER: "ada@example.com"}
        for name in ("staff", "ops"):
            made = await client.post("/api/v1/groups/create", headers=headers, json={"name": name})
            assert made.status_code == 200

        async def members() -> dict[str, int]:
            listed = (await client.get("/api/v1/groups/", headers=headers)).json()
            return {g["name"]: g["member_count"] for g in listed}

        await proxied_signin(
            client, **{EMAIL_HEADER: "bob@example.com", GROUPS_HEADER: "staff, ops,nonexistent"}
        )
        assert await members() == {"staff": 1, "ops": 1}  # unknown names are not created
        await proxied_signin(client, **{EMAIL_HEADER: "bob@example.com", GROUPS_HEADER: "ops"})
        assert await members() == {"staff": 0, "ops": 1}
        await proxied_signin(client, **{EMAIL_HEADER: "bob@example.com"})  # no header: kept
        assert await members() == {"staff": 0, "ops": 1}


async def test_without_trusted_header_the_header_means_nothing(make_client: MakeClient) -> None:
    async with make_client() as client:
        await signup(client, "Ada")
        assert (await client.get("/api/config")).json()["features"]["auth_trusted_header"] is False
        ignored = await proxied_signin(client, **{EMAIL_HEADER: "ada@example.com"})
        assert (ignored.status_code, ignored.json()) == (400, {"detail": INVALID_CRED})
        signed = await client.post(
            "/api/v1/auths/signin",
            json={"email": "ada@example.com", "password": PASSWORD},
            headers={EMAIL_HEADER: "eve@example.com"},
        )
        assert signed.status_code == 200
        me = await client.get(
            "/api/v1/auths/",
            headers={**bearer(signed.json()["token"]), EMAIL_HEADER: "eve@example.com"},
        )
        assert me.status_code == 200


async def test_single_user_mode(make_client: MakeClient) -> None:
    async with make_client(webui_auth=False) as client:
        # On an empty database nobody may take the admin seat by signing up first.
        early = await client.post(
            "/api/v1/auths/signup",
            json={"name": "Eve", "email": "eve@example.com", "password": PASSWORD},
        )
        assert early.status_code == 403
        ldap = await client.post("/api/v1/auths/ldap", json={"user": "eve", "password": "x"})
        assert ldap.status_code in (400, 403)  # LDAP is off here; on, it is 403 too
        config = (await client.get("/api/config")).json()
        assert config["features"]["auth"] is False
        assert config["features"]["enable_signup"] is False
        first = await client.post("/api/v1/auths/signin", json=EMPTY)
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["email"], body["name"], body["role"]) == ("admin@localhost", "User", "admin")
        again = await client.post(
            "/api/v1/auths/signin", json={"email": "who@example.com", "password": "whatever"}
        )
        assert again.json()["id"] == body["id"]
        assert (
            await client.get("/api/v1/auths/", headers=bearer(body["token"]))
        ).status_code == 200
        refused = await client.post(
            "/api/v1/auths/signup",
            json={"name": "Eve", "email": "eve@example.com", "password": PASSWORD},
        )
        assert refused.status_code == 403
        assert (await client.get("/api/v1/auths/")).status_code == 401  # still a token per call


def _serve(
    backend: Backend, data_dir: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    full = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": backend.url,
        "PORT": str(free_port()),
        "ENABLE_LOCAL_MODELS": "false",
        "ENABLE_FRONTEND": "false",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "owlet", "serve"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_single_user_mode_refuses_to_start_over_other_accounts(
    backend: Backend, clean_db: object, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with owlet_process(backend, data, {}) as base:
        made = httpx.post(
            f"{base}/api/v1/auths/signup",
            json={"name": "Ada", "email": "ada@example.com", "password": PASSWORD},
        )
        assert made.status_code == 200
    refused = _serve(backend, data, {"WEBUI_AUTH": "false"})
    assert refused.returncode != 0
    assert "WEBUI_AUTH=false" in refused.stderr and "1 other account" in refused.stderr
    assert "Traceback" not in refused.stderr and "Uvicorn running" not in refused.stderr


def test_single_user_mode_starts_on_a_fresh_database(
    backend: Backend, clean_db: object, tmp_path: Path
) -> None:
    with owlet_process(backend, tmp_path / "data", {"WEBUI_AUTH": "false"}) as base:
        signed = httpx.post(f"{base}/api/v1/auths/signin", json=EMPTY)
        assert signed.status_code == 200 and signed.json()["email"] == "admin@localhost"
    # Restarting over its own account is fine.
    with owlet_process(backend, tmp_path / "data", {"WEBUI_AUTH": "false"}) as base:
        assert httpx.post(f"{base}/api/v1/auths/signin", json=EMPTY).status_code == 200


async def test_the_app_itself_refuses_single_user_mode_over_other_accounts(
    make_client: MakeClient,
) -> None:
    """The lifespan check, for servers started without `owlet serve` (e.g. uvicorn)."""
    async with make_client() as client:
        await signup(client, "Ada")
    with pytest.raises(SingleUserModeError, match="1 other account"):
        async with make_client(webui_auth=False):
            pass
