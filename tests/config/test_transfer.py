"""`/api/v1/configs/export` and `/import`: Open WebUI's flat dotted-key object, merged on
import, values checked by type (Open WebUI stores anything; owlet refuses with 400)."""

from __future__ import annotations

import httpx

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
        assert "oauth.google.scope" not in body
        assert body["ui.enable_community_sharing"] is True  # merged, not replaced
        assert await _export(client, admin) == body
        config = (await client.get("/api/config", headers=admin)).json()
        assert config["features"]["enable_message_rating"] is False
        images = (await client.get("/api/v1/images/config", headers=admin)).json()
        assert images["IMAGE_SIZE"] == "256x256"

        # Re-importing the whole export changes nothing.
        again = await client.post("/api/v1/configs/import", headers=admin, json={"config": body})
        assert again.status_code == 200 and again.json() == body


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
        ):
            response = await client.post(
                "/api/v1/configs/import", headers=admin, json={"config": config}
            )
            assert response.status_code == 400, config
            assert isinstance(response.json()["detail"], str)
        assert await _export(client, admin) == before
