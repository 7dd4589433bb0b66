"""`GET /api/v1/models/all` (admin): every model record, presets and base overrides,
including other users' private ones, in the shape of the other record routes."""

from __future__ import annotations

from tests.conftest import MakeClient
from tests.models.test_models import helper_form
from tests.support import add_user, bearer, signup


async def test_all_records_lists_every_record_for_admins(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        assert (await client.get("/api/v1/models/all", headers=headers)).json() == []
        preset = await client.post("/api/v1/models/create", headers=headers, json=helper_form())
        override = await client.post(
            "/api/v1/models/create",
            headers=headers,
            json={"id": "fake-gpt", "base_model_id": None, "name": "GPT", "meta": {}, "params": {}},
        )
        assert preset.status_code == override.status_code == 200, override.text
        # A user's private preset is listed too (admins see every record here).
        defaults = (await client.get("/api/v1/users/default/permissions", headers=headers)).json()
        defaults["workspace"]["models"] = True
        await client.post("/api/v1/users/default/permissions", headers=headers, json=defaults)
        user = await add_user(client, admin["token"], "Uma")
        own = await client.post(
            "/api/v1/models/create",
            headers=bearer(user["token"]),
            json=helper_form(id="umas", name="Uma's"),
        )
        assert own.status_code == 200, own.text

        listed = await client.get("/api/v1/models/all", headers=headers)
        assert listed.status_code == 200
        by_id = {m["id"]: m for m in listed.json()}
        assert set(by_id) == {"helper", "fake-gpt", "umas"}
        assert by_id["helper"] == preset.json()
        assert by_id["fake-gpt"]["base_model_id"] is None
        assert by_id["umas"]["user_id"] == user["id"]

        assert (await client.get("/api/v1/models/all")).status_code == 401
        denied = await client.get("/api/v1/models/all", headers=bearer(user["token"]))
        assert denied.status_code == 403
