"""LDAP sign-in against a real slapd (tests/auth/ldap_server.py) on a loopback port."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from owlet.tables import Auth
from tests.auth.ldap_server import APP_DN, APP_PASSWORD, PEOPLE, LdapServer, ldap_server
from tests.conftest import MakeClient
from tests.support import PASSWORD, bearer, signup

FAILED = {"detail": "LDAP authentication failed."}
INVALID_CRED = {
    "detail": "The email or password provided is incorrect. "
    "Please check for typos and try logging in again."
}
UNREACHABLE = {"detail": "The LDAP server could not be reached. Please try again later."}


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    with ldap_server(tmp_path_factory.mktemp("slapd")) as server:
        yield server


def ldap_settings(server: LdapServer, **overrides: Any) -> dict[str, Any]:
    return {
        "enable_ldap": True,
        "ldap_server_host": server.host,
        "ldap_server_port": server.port,
        "ldap_use_tls": False,
        "ldap_app_dn": APP_DN,
        "ldap_app_password": APP_PASSWORD,
        "ldap_search_base": PEOPLE,
        **overrides,
    }


def new_uid(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def ldap_signin(
    client: httpx.AsyncClient, user: str, password: str, *, expect_503: bool = False
) -> httpx.Response:
    return await client.post(
        "/api/v1/auths/ldap",
        # As JSON on the wire: escaped, so a lone surrogate can be sent as clients can.
        content=json.dumps({"user": user, "password": password}),
        headers={"Content-Type": "application/json"},
        extensions={"allow_5xx": expect_503},
    )


async def test_first_sign_in_creates_the_account_and_the_token_works(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid = new_uid("ada")
    slapd.add_user(uid, "ada-pass", mail=f"{uid}@Example.org", cn="Ada Lovelace")
    async with make_client(**ldap_settings(slapd)) as client:
        first = await ldap_signin(client, uid.upper(), "ada-pass")  # names match any case
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["email"] == f"{uid}@example.org" and body["name"] == "Ada Lovelace"
        assert body["role"] == "admin"  # the only account
        assert body["token_type"] == "Bearer" and body["permissions"]
        assert "token=" in first.headers["set-cookie"]
        me = await client.get("/api/v1/auths/", headers=bearer(body["token"]))
        assert me.status_code == 200 and me.json()["id"] == body["id"]

        again = await ldap_signin(client, uid, "ada-pass")
        assert again.status_code == 200 and again.json()["id"] == body["id"]

        # A second person gets the default role, like any sign-up after the first.
        bob = new_uid("bob")
        slapd.add_user(bob, "bob-pass", mail=f"{bob}@example.org")
        second = await ldap_signin(client, bob, "bob-pass")
        assert second.status_code == 200 and second.json()["role"] == "pending"
        listed = await client.get("/api/v1/users/all", headers=bearer(body["token"]))
        assert sorted(u["email"] for u in listed.json()["users"]) == sorted(
            [f"{uid}@example.org", f"{bob}@example.org"]
        )


async def test_an_existing_local_account_is_signed_into_by_email(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid = new_uid()
    slapd.add_user(uid, "dir-pass", mail=f"{uid}@example.com")
    async with make_client(**ldap_settings(slapd)) as client:
        local = await signup(client, "Local", email=f"{uid}@example.com")
        response = await ldap_signin(client, uid, "dir-pass")
        assert response.status_code == 200 and response.json()["id"] == local["id"]


async def test_wrong_password_unknown_user_and_missing_mail_are_400(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid, no_mail = new_uid(), new_uid("nomail")
    slapd.add_user(uid, "right-pass", mail=f"{uid}@example.org")
    slapd.add_user(no_mail, "right-pass")
    async with make_client(**ldap_settings(slapd)) as client:
        for user, password in [(uid, "wrong-pass"), (new_uid(), "x-pass"), (no_mail, "right-pass")]:
            response = await ldap_signin(client, user, password)
            assert (response.status_code, response.json()) == (400, FAILED), user
        listed = await client.post(
            "/api/v1/auths/signup",
            json={"name": "A", "email": "a@example.com", "password": PASSWORD},
        )
        assert listed.status_code == 200  # no account was created by the failures


@pytest.mark.parametrize(
    "password", ["", " ", "\t \n", "\x00", "right-pass\x00", "\x00rest", "right-pass\ud800"]
)
async def test_unusable_passwords_are_400_and_never_reach_a_bind(
    make_client: MakeClient, slapd: LdapServer, password: str
) -> None:
    uid = new_uid()
    dn = slapd.add_user(uid, "right-pass", mail=f"{uid}@example.org")
    async with make_client(**ldap_settings(slapd)) as client:
        assert (await ldap_signin(client, uid, "right-pass")).status_code == 200
        binds = slapd.binds_as(dn)
        assert binds == 1  # the log counts this user's binds (so the check below can fail)
        response = await ldap_signin(client, uid, password)
        if "\ud800" in password:  # not text at all: refused as the body is read
            assert response.status_code == 422
        else:
            assert (response.status_code, response.json()) == (400, INVALID_CRED)
        assert slapd.binds_as(dn) == binds


@pytest.mark.parametrize(
    "name", ["*", "*)(uid=*", "*)(|(uid=*", "{uid})(uid=*", "{uid}*", "(uid={uid})", "\\2a"]
)
async def test_filter_metacharacters_in_the_name_match_nothing(
    make_client: MakeClient, slapd: LdapServer, name: str
) -> None:
    uid = new_uid()
    dn = slapd.add_user(uid, "shared-pass", mail=f"{uid}@example.org")
    async with make_client(**ldap_settings(slapd)) as client:
        response = await ldap_signin(client, name.format(uid=uid), "shared-pass")
        assert (response.status_code, response.json()) == (400, FAILED)
        assert slapd.binds_as(dn) == 0
        # What reached slapd is one equality match whose value carries no live `*()`.
        sent = slapd.user_searches()[-1]
        assert sent.startswith("(&(uid=") and sent.endswith("))"), sent
        assert not set(sent[len("(&(uid=") : -2]) & set("*()"), sent


async def test_search_filters_narrow_who_may_sign_in(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    inside, outside = new_uid("in"), new_uid("out")
    slapd.add_user(inside, "pass-1", mail=f"{inside}@example.org", cn="Allowed")
    slapd.add_user(outside, "pass-1", mail=f"{outside}@example.org", cn="Other")
    async with make_client(**ldap_settings(slapd, ldap_search_filters="(cn=Allowed)")) as client:
        assert (await ldap_signin(client, inside, "pass-1")).status_code == 200
        assert (await ldap_signin(client, outside, "pass-1")).json() == FAILED


async def test_disabled_ldap_and_disabled_password_auth(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid = new_uid()
    slapd.add_user(uid, "pass-1", mail=f"{uid}@example.org")
    async with make_client(**ldap_settings(slapd, enable_ldap=False)) as client:
        off = await ldap_signin(client, uid, "pass-1")
        assert (off.status_code, off.json()) == (
            400,
            {"detail": "LDAP authentication is not enabled"},
        )
        assert (await client.get("/api/config")).json()["features"]["enable_ldap"] is False
        admin = await signup(client, "Admin")
        turned = await client.post(
            "/api/v1/auths/admin/config/ldap",
            headers=bearer(admin["token"]),
            json={"enable_ldap": True},
        )
        assert turned.json() == {"ENABLE_LDAP": True}
        assert (await client.get("/api/config")).json()["features"]["enable_ldap"] is True
        assert (await ldap_signin(client, uid, "pass-1")).status_code == 200
    async with make_client(**ldap_settings(slapd, enable_password_auth=False)) as client:
        refused = await ldap_signin(client, uid, "pass-1")
        assert refused.status_code == 403


async def test_a_deactivated_account_cannot_sign_in(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid = new_uid()
    slapd.add_user(uid, "pass-1", mail=f"{uid}@example.org")
    async with make_client(**ldap_settings(slapd)) as client:
        user_id = (await ldap_signin(client, uid, "pass-1")).json()["id"]
        container = client.app.state.container  # type: ignore[attr-defined]
        async with container.sessionmaker() as session:
            await session.execute(update(Auth).where(Auth.id == user_id).values(active=False))
            await session.commit()
        response = await ldap_signin(client, uid, "pass-1")
        assert (response.status_code, response.json()) == (400, INVALID_CRED)


async def test_sign_in_limit_applies(make_client: MakeClient, slapd: LdapServer) -> None:
    uid = new_uid()
    slapd.add_user(uid, "pass-1", mail=f"{uid}@example.org")
    async with make_client(**ldap_settings(slapd)) as client:
        for _ in range(5):
            assert (await ldap_signin(client, uid, "wrong")).status_code == 400
        blocked = await ldap_signin(client, uid.upper(), "pass-1")
        assert (blocked.status_code, blocked.json()) == (429, {"detail": "API rate limit exceeded"})


async def test_group_sync_creates_joins_and_leaves(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid, staff, ops = new_uid(), new_uid("staff"), new_uid("ops")
    dn = slapd.add_user(uid, "pass-1", mail=f"{uid}@example.org")
    slapd.add_group(staff, [dn])
    settings = ldap_settings(
        slapd, enable_ldap_group_management=True, enable_ldap_group_creation=True
    )
    async with make_client(**settings) as client:
        body = (await ldap_signin(client, uid, "pass-1")).json()
        groups = (await client.get("/api/v1/groups/", headers=bearer(body["token"]))).json()
        assert [g["name"] for g in groups] == [staff]
        slapd.add_group(ops, [dn])
        assert (await ldap_signin(client, uid, "pass-1")).status_code == 200
        mine = await client.get("/api/v1/groups/", headers=bearer(body["token"]))
        assert sorted(g["name"] for g in mine.json()) == sorted([staff, ops])
        with slapd.manager() as conn:  # out of `staff` in the directory: out here too
            assert conn.delete(f"cn={staff},ou=groups,dc=example,dc=org"), conn.result
        assert (await ldap_signin(client, uid, "pass-1")).status_code == 200
        left = await client.get(
            f"/api/v1/groups/id/{groups[0]['id']}", headers=bearer(body["token"])
        )
        assert left.status_code == 200 and left.json()["member_count"] == 0


async def test_without_group_creation_only_existing_groups_are_joined(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    uid, known, unknown = new_uid(), new_uid("known"), new_uid("unknown")
    dn = slapd.add_user(uid, "pass-1", mail=f"{uid}@example.org")
    slapd.add_group(known, [dn])
    slapd.add_group(unknown, [dn])
    async with make_client(**ldap_settings(slapd, enable_ldap_group_management=True)) as client:
        admin = await signup(client, "Admin")
        created = await client.post(
            "/api/v1/groups/create", headers=bearer(admin["token"]), json={"name": known}
        )
        assert created.status_code == 200, created.text
        assert (await ldap_signin(client, uid, "pass-1")).status_code == 200
        groups = (await client.get("/api/v1/groups/", headers=bearer(admin["token"]))).json()
        assert [(g["name"], g["member_count"]) for g in groups] == [(known, 1)]


def _silent_server(reply: bytes | None) -> tuple[socket.socket, int]:
    """A TCP server that accepts and then says nothing (or `reply`, which is not LDAP)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            held.append(conn)
            if reply is not None:
                conn.recv(4096)
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return sock, int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["refused", "silent", "not-ldap"])
async def test_an_unreachable_server_is_a_clear_503(
    make_client: MakeClient, slapd: LdapServer, tmp_path: Path, kind: str
) -> None:
    listener = None
    if kind == "refused":
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
        probe.close()  # nothing listens there now
    else:
        listener, port = _silent_server(None if kind == "silent" else b"\x30\x84garbage" * 8)
    try:
        settings = ldap_settings(slapd, ldap_server_port=port, ldap_timeout=0.5)
        async with make_client(**settings) as client:
            response = await ldap_signin(client, "ada", "pass-1", expect_503=True)
            assert (response.status_code, response.json()) == (503, UNREACHABLE)
    finally:
        if listener is not None:
            listener.close()


async def test_tls_to_a_plain_server_is_a_clear_503(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    async with make_client(**ldap_settings(slapd, ldap_use_tls=True)) as client:
        response = await ldap_signin(client, "ada", "pass-1", expect_503=True)
        assert (response.status_code, response.json()) == (503, UNREACHABLE)


async def test_admin_server_config_round_trip_and_roles(
    make_client: MakeClient, slapd: LdapServer
) -> None:
    async with make_client(**ldap_settings(slapd)) as client:
        admin = await signup(client, "Admin")
        bob = await client.post(
            "/api/v1/auths/add",
            headers=bearer(admin["token"]),
            json={"name": "Bob", "email": "bob@example.com", "password": PASSWORD, "role": "user"},
        )
        user_headers = bearer(bob.json()["token"])
        for method, path in [
            ("GET", "/api/v1/auths/admin/config/ldap"),
            ("POST", "/api/v1/auths/admin/config/ldap"),
            ("GET", "/api/v1/auths/admin/config/ldap/server"),
            ("POST", "/api/v1/auths/admin/config/ldap/server"),
        ]:
            denied = await client.request(method, path, headers=user_headers, json={})
            assert denied.status_code == 403, path
            anonymous = await client.request(method, path, json={})
            assert anonymous.status_code == 401, path

        headers = bearer(admin["token"])
        current = (
            await client.get("/api/v1/auths/admin/config/ldap/server", headers=headers)
        ).json()
        assert current["host"] == slapd.host and current["port"] == slapd.port
        assert current["app_dn"] == APP_DN and current["search_base"] == PEOPLE
        assert current["attribute_for_username"] == "uid" and current["use_tls"] is False
        empty = await client.post(
            "/api/v1/auths/admin/config/ldap/server",
            headers=headers,
            json={**current, "search_base": "  "},
        )
        assert (empty.status_code, empty.json()) == (
            400,
            {"detail": "Required field search_base is empty"},
        )
        # Point it at a port where nothing listens: sign-in now fails clearly.
        moved = await client.post(
            "/api/v1/auths/admin/config/ldap/server",
            headers=headers,
            json={**current, "port": 1, "label": "Corp"},
        )
        assert moved.status_code == 200 and moved.json()["label"] == "Corp"
        stored = await client.get("/api/v1/auths/admin/config/ldap/server", headers=headers)
        assert stored.json() == moved.json()
        uid = new_uid()
        slapd.add_user(uid, "pass-1", mail=f"{uid}@example.org")
        assert (await ldap_signin(client, uid, "pass-1", expect_503=True)).status_code == 503
        back = await client.post(
            "/api/v1/auths/admin/config/ldap/server", headers=headers, json=current
        )
        assert back.status_code == 200
        assert (await ldap_signin(client, uid, "pass-1")).status_code == 200
        state = await client.get("/api/v1/auths/admin/config/ldap", headers=headers)
        assert state.json() == {"ENABLE_LDAP": True}
