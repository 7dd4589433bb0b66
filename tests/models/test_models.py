"""Custom model records: presets, overrides, sharing, and how they shape completions."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

PUBLIC_READ = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


def helper_form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "id": "helper",
        "base_model_id": "fake-gpt",
        "name": "Helper",
        "meta": {"description": "A helpful preset", "tags": ["work"]},
        "params": {"system": "You are {{USER_NAME}}'s helper.", "temperature": 0.3},
    }
    form.update(overrides)
    return form


async def chat(client: httpx.AsyncClient, token: str, model: str) -> httpx.Response:
    return await client.post(
        "/api/chat/completions",
        headers=bearer(token),
        json={"model": model, "messages": [{"role": "user", "content": "hi"}], "temperature": 1},
    )


async def test_preset_applies_base_system_prompt_and_params(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        created = await client.post("/api/v1/models/create", headers=headers, json=helper_form())
        assert created.status_code == 200, created.text
        assert created.json()["params"]["temperature"] == 0.3
        listed = {
            m["id"]: m for m in (await client.get("/api/models", headers=headers)).json()["data"]
        }
        helper = listed["helper"]
        assert helper["preset"] is True and helper["name"] == "Helper"
        assert helper["owned_by"] == "openai" and helper["tags"] == [{"name": "work"}]
        assert helper["info"]["params"]["temperature"] == 0.3  # as Open WebUI lists presets
        reply = await chat(client, admin["token"], "helper")
        assert reply.status_code == 200, reply.text
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        assert sent["model"] == "fake-gpt" and sent["temperature"] == 0.3
        assert sent["messages"][0] == {"role": "system", "content": "You are Ada's helper."}
        duplicate = await client.post("/api/v1/models/create", headers=headers, json=helper_form())
        assert duplicate.status_code == 409


async def test_sharing_makes_models_visible_and_usable(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        bob = await add_user(client, admin["token"], "Bob")
        await client.post(
            "/api/v1/models/create",
            headers=headers,
            json=helper_form(access_grants=PUBLIC_READ),
        )
        seen = (await client.get("/api/models", headers=bearer(bob["token"]))).json()["data"]
        assert [m["id"] for m in seen] == ["helper"]
        # The base model has no record, so it is admin-only and the preset cannot run on it.
        blocked = await chat(client, bob["token"], "helper")
        assert blocked.status_code == 400 and blocked.json()["detail"] == "Model not found"
        shared = await client.post(
            "/api/v1/models/model/access/update",
            headers=headers,
            json={"id": "fake-gpt", "access_grants": PUBLIC_READ},
        )
        assert shared.status_code == 200 and shared.json()["base_model_id"] is None
        assert (await chat(client, bob["token"], "helper")).status_code == 200
        assert (await chat(client, bob["token"], "fake-gpt")).status_code == 200
        # A reader sees the record without its params (the system prompt stays private).
        record = await client.get("/api/v1/models/model?id=helper", headers=bearer(bob["token"]))
        assert record.status_code == 200
        assert record.json()["params"] == {} and record.json()["write_access"] is False
        denied = await client.post(
            "/api/v1/models/model/update", headers=bearer(bob["token"]), json=helper_form()
        )
        assert denied.status_code == 403
        not_granted = await client.post(
            "/api/v1/models/model/access/update",
            headers=bearer(bob["token"]),
            json={"id": "fake-llama:latest", "access_grants": PUBLIC_READ},
        )
        assert not_granted.status_code == 403


async def test_group_grant(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        bob = await add_user(client, admin["token"], "Bob")
        cid = await add_user(client, admin["token"], "Cid")
        group = await client.post("/api/v1/groups/create", headers=headers, json={"name": "g"})
        gid = group.json()["id"]
        await client.post(
            f"/api/v1/groups/id/{gid}/users/add", headers=headers, json={"user_ids": [bob["id"]]}
        )
        await client.post(
            "/api/v1/models/model/access/update",
            headers=headers,
            json={
                "id": "fake-gpt",
                "access_grants": [
                    {"principal_type": "group", "principal_id": gid, "permission": "read"}
                ],
            },
        )
        assert (await chat(client, bob["token"], "fake-gpt")).status_code == 200
        assert (await chat(client, cid["token"], "fake-gpt")).status_code == 400


async def test_ids_with_slashes_toggle_update_delete(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        await client.post(
            "/api/v1/models/create", headers=headers, json=helper_form(id="org/helper")
        )
        got = await client.get("/api/v1/models/model", params={"id": "org/helper"}, headers=headers)
        # As Open WebUI 0.12.4: the owner is named in lists, not in the single record.
        assert got.status_code == 200 and got.json()["id"] == "org/helper"
        assert got.json()["user"] is None
        toggled = await client.post(
            "/api/v1/models/model/toggle", params={"id": "org/helper"}, headers=headers
        )
        assert toggled.json()["is_active"] is False
        ids = [m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]]
        assert "org/helper" not in ids
        assert (await chat(client, admin["token"], "org/helper")).status_code == 400
        updated = await client.post(
            "/api/v1/models/model/update",
            headers=headers,
            json=helper_form(id="org/helper", name="Renamed", is_active=True),
        )
        assert updated.json()["name"] == "Renamed" and updated.json()["is_active"] is True
        listed = (await client.get("/api/v1/models/list", headers=headers)).json()
        assert listed["total"] == 1 and listed["items"][0]["id"] == "org/helper"
        exported = (await client.get("/api/v1/models/export", headers=headers)).json()
        assert [m["id"] for m in exported] == ["org/helper"]
        deleted = await client.post(
            "/api/v1/models/model/delete", headers=headers, json={"id": "org/helper"}
        )
        assert deleted.json() is True
        missing = await client.get("/api/v1/models/model?id=org/helper", headers=headers)
        assert missing.status_code == 404
        imported = await client.post(
            "/api/v1/models/import", headers=headers, json={"models": exported}
        )
        assert imported.json() is True
        assert (
            await client.get("/api/v1/models/model?id=org/helper", headers=headers)
        ).status_code == 200
        bad_import = await client.post(
            "/api/v1/models/import", headers=headers, json={"models": [{"id": "x"}]}
        )
        assert bad_import.status_code == 400


async def test_inactive_override_hides_a_provider_model(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        await client.post(
            "/api/v1/models/model/access/update",
            headers=headers,
            json={"id": "fake-gpt", "name": "Renamed GPT", "access_grants": []},
        )
        listed = {
            m["id"]: m for m in (await client.get("/api/models", headers=headers)).json()["data"]
        }
        assert listed["fake-gpt"]["name"] == "Renamed GPT"
        await client.post("/api/v1/models/model/toggle?id=fake-gpt", headers=headers)
        ids = [m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]]
        assert "fake-gpt" not in ids


async def test_users_need_workspace_permission_to_create(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        bob = await add_user(client, admin["token"], "Bob")
        denied = await client.post(
            "/api/v1/models/create", headers=bearer(bob["token"]), json=helper_form()
        )
        assert denied.status_code == 403


async def test_record_changes_show_at_once_despite_caching(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**{**gw, "models_cache_ttl": 3600.0}) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])

        async def ids() -> list[str]:
            return [
                m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]
            ]

        assert "helper" not in await ids()
        await client.post("/api/v1/models/create", headers=headers, json=helper_form())
        assert "helper" in await ids()
        await client.post("/api/v1/models/model/toggle?id=helper", headers=headers)
        assert "helper" not in await ids()
        assert (await chat(client, admin["token"], "helper")).status_code == 400


async def test_sync_replaces_all_records(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        await client.post("/api/v1/models/create", headers=headers, json=helper_form())
        synced = await client.post(
            "/api/v1/models/sync",
            headers=headers,
            json={"models": [helper_form(id="a"), helper_form(id="b", access_grants=PUBLIC_READ)]},
        )
        assert synced.status_code == 200
        assert sorted(m["id"] for m in synced.json()) == ["a", "b"]
        assert (
            await client.get("/api/v1/models/model?id=helper", headers=headers)
        ).status_code == 404
        duplicate = await client.post(
            "/api/v1/models/sync",
            headers=headers,
            json={"models": [helper_form(id="a"), helper_form(id="a")]},
        )
        assert duplicate.status_code == 400


async def test_unload(
    make_client: MakeClient, gw: dict[str, object], ollama_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        done = await client.post(
            "/api/models/unload", headers=headers, json={"model": "fake-llama:latest"}
        )
        assert done.json() == {"status": True}
        sent = ollama_up.requests_to("/api/generate")[-1].json
        assert sent == {"model": "fake-llama:latest", "keep_alive": 0, "prompt": ""}
        openai_model = await client.post(
            "/api/models/unload", headers=headers, json={"model": "fake-gpt"}
        )
        assert (
            openai_model.status_code == 400 and "does not support" in openai_model.json()["detail"]
        )
        missing = await client.post("/api/models/unload", headers=headers, json={"model": "nope"})
        assert missing.status_code == 404
        bob = await add_user(client, admin["token"], "Bob")
        denied = await client.post(
            "/api/models/unload", headers=bearer(bob["token"]), json={"model": "fake-gpt"}
        )
        assert denied.status_code == 403
