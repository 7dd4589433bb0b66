"""`/api/v1/configs/export` and `/import`: Open WebUI's flat dotted-key object, merged on
import, values checked by type (Open WebUI stores anything; owlet refuses with 400)."""

from __future__ import annotations

import httpx
import pytest

from owlet.config.registry import DEFAULTS
from owlet.config.transfer import NOT_EXPORTED, TYPES
from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup


def test_every_exported_key_has_a_type() -> None:
    assert set(DEFAULTS) - NOT_EXPORTED <= set(TYPES)


async def _export(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, object]:
    response = await client.get("/api/v1/configs/export", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_export_import_round_trip(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        user = bearer((await add_user(client, admin["Authorization"][7:], "Uma"))["token"])
        for method, path in (("GET", "export"), ("POST", "import")):
            url = f"/api/v1/configs/{path}"
            assert (await client.request(method, url, json={"config": {}})).status_code == 401
            forbidden = await client.request(method, url, headers=user, json={"config": {}})
            assert forbidden.status_code == 403
        exported = await _export(client, admin)
        # Open WebUI's names, flat; owlet's internal renames do not leak.
        assert exported["ui.enable_message_rating"] is True
        assert "chat.context_compaction.enable" in exported
        assert "chat.compaction.enable" not in exported
        assert "events.webhooks" not in exported
        assert exported["code_execution.engine"] == "pyodide"
        assert isinstance(exported["user.permissions"], dict)

        # An Open WebUI export carries keys owlet does not know: they are skipped.
        sent = {
            "ui.enable_message_rating": False,
            "chat.context_compaction.token_threshold": 1234,
            "image_generation.size": "256x256",
            "oauth.google.scope": "openid",
        }
        imported = await client.post("/api/v1/configs/import", headers=admin, json={"config": sent})
        assert imported.status_code == 200, imported.text
        body = imported.json()
        assert body["ui.enable_message_rating"] is False
        assert body["chat.context_compaction.token_threshold"] == 1234
        assert body["image_generation.size"] == "256x256"
        # OAuth comes from the environment: shown, never imported
        assert body["oauth.google.scope"] == "openid email profile"
        assert body["ui.enable_community_sharing"] is True  # merged, not replaced
        assert await _export(client, admin) == body
        config = (await client.get("/api/config", headers=admin)).json()
        assert config["features"]["enable_message_rating"] is False
        images = (await client.get("/api/v1/images/config", headers=admin)).json()
        assert images["IMAGE_SIZE"] == "256x256"

        # Re-importing the whole export changes nothing.
        again = await client.post("/api/v1/configs/import", headers=admin, json={"config": body})
        assert again.status_code == 200 and again.json() == body


async def test_export_speaks_open_webui_names_and_types(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OAuth settings are read from the environment only
    for name, value in (("OAUTH_CLIENT_ID", "owlet"), ("OAUTH_CLIENT_SECRET", "s3cret"),
                        ("OAUTH_TIMEOUT", "5")):  # fmt: skip
        monkeypatch.setenv(name, value)
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        exported = await _export(client, admin)
        # Open WebUI's LDAP names, not owlet's
        for theirs, ours in (
            ("ldap.server.users_dn", "ldap.server.search_base"),
            ("ldap.server.search_filter", "ldap.server.search_filters"),
            ("ldap.group.enable_management", "ldap.server.enable_group_management"),
            ("ldap.group.enable_creation", "ldap.server.enable_group_creation"),
        ):
            assert theirs in exported and ours not in exported
        # counts Open WebUI keeps as text: unset is ""
        assert exported["folders.max_file_count"] == ""
        assert exported["automations.min_interval"] == ""
        assert exported["auth.admin.email"] is None
        # settings owlet stores without running, with their first values
        assert exported["web.search.enable"] is False
        assert exported["rag.tika_server_url"] == "http://tika:9998"
        assert exported["subagents.max_iterations"] == 30
        # OAuth from the environment, the client secret withheld
        assert exported["oauth.client_id"] == "owlet"
        assert exported["oauth.client_secret"] == ""
        assert exported["oauth.timeout"] == "5"
        assert "s3cret" not in str(exported)

        sent = {"folders.max_file_count": "7", "automations.max_count": 3,
                "ldap.server.users_dn": "ou=people", "web.search.result_count": 9,
                "oauth.client_id": "other"}  # fmt: skip
        imported = await client.post("/api/v1/configs/import", headers=admin, json={"config": sent})
        assert imported.status_code == 200, imported.text
        body = imported.json()
        assert body["folders.max_file_count"] == 7 and body["automations.max_count"] == 3
        assert body["ldap.server.users_dn"] == "ou=people"
        assert body["web.search.result_count"] == 9
        assert body["oauth.client_id"] == "owlet"
        ldap = (await client.get("/api/v1/auths/admin/config/ldap/server", headers=admin)).json()
        assert ldap["search_base"] == "ou=people"
        web = (await client.get("/api/v1/retrieval/config", headers=admin)).json()["web"]
        assert web["WEB_SEARCH_RESULT_COUNT"] == 9
        cleared = {"folders.max_file_count": ""}
        again = await client.post("/api/v1/configs/import", headers=admin, json={"config": cleared})
        assert again.status_code == 200 and again.json()["folders.max_file_count"] == ""


async def test_import_refuses_bad_input_and_writes_nothing(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        before = await _export(client, admin)
        for body in ({}, {"config": "x"}, {"config": [1]}):
            response = await client.post("/api/v1/configs/import", headers=admin, json=body)
            assert response.status_code == 422, body
        for config in (
            {"ui.enable_signup": False, "ui.enable_message_rating": "notabool"},
            {"ui.default_user_role": "superuser"},
            {"rag.chunk_size": 1},
            {"auth.jwt_expiry": "9999999999w"},
            {"user.permissions": {"chat": {"nonsense": True}}},
            {"openai.api_base_urls": "http://x"},
            {"code_execution.engine": "docker"},
            {"auth.mfa.enable": True},  # owlet has no multi-factor sign-in
            {"folders.max_file_count": "many"},
            {"web.search.result_count": "3"},
        ):
            response = await client.post(
                "/api/v1/configs/import", headers=admin, json={"config": config}
            )
            assert response.status_code == 400, config
            assert isinstance(response.json()["detail"], str)
        assert await _export(client, admin) == before
