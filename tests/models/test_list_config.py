"""Admin model-list settings: order, default metadata and params, and arena models."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.completions.test_chat import content_of
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

PUBLIC_READ = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def ids(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await client.get("/api/models", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["data"]]


async def test_models_config_orders_the_list_and_round_trips(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        assert await ids(client, admin["token"]) == ["fake-gpt", "fake-llama:latest"]
        saved = await client.post(
            "/api/v1/configs/models",
            headers=headers,
            json={"MODEL_ORDER_LIST": ["fake-llama:latest"], "DEFAULT_MODELS": "fake-gpt"},
        )
        assert saved.status_code == 200, saved.text
        assert saved.json() == {
            "DEFAULT_MODELS": "fake-gpt",
            "DEFAULT_PINNED_MODELS": None,
            "MODEL_ORDER_LIST": ["fake-llama:latest"],
            "DEFAULT_MODEL_METADATA": {},
            "DEFAULT_MODEL_PARAMS": {},
        }
        assert (await client.get("/api/v1/configs/models", headers=headers)).json() == saved.json()
        assert await ids(client, admin["token"]) == ["fake-llama:latest", "fake-gpt"]
        config = (await client.get("/api/config", headers=headers)).json()
        assert config["default_models"] == "fake-gpt"
        # A field left out is kept; null clears it.
        cleared = await client.post(
            "/api/v1/configs/models", headers=headers, json={"MODEL_ORDER_LIST": None}
        )
        assert cleared.json()["MODEL_ORDER_LIST"] == [] and cleared.json()["DEFAULT_MODELS"]
        bad = await client.post(
            "/api/v1/configs/models", headers=headers, json={"MODEL_ORDER_LIST": "fake-gpt"}
        )
        assert bad.status_code == 422


async def test_default_metadata_fills_gaps_and_default_params_reach_upstream(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        created = await client.post(
            "/api/v1/models/create",
            headers=headers,
            json={
                "id": "helper",
                "base_model_id": "fake-gpt",
                "name": "Helper",
                "meta": {"description": "mine", "capabilities": {"vision": False}},
                "params": {"temperature": 0.3},
            },
        )
        assert created.status_code == 200, created.text
        await client.post(
            "/api/v1/configs/models",
            headers=headers,
            json={
                "DEFAULT_MODEL_METADATA": {
                    "description": "default",
                    "capabilities": {"vision": True, "citations": True},
                },
                "DEFAULT_MODEL_PARAMS": {"temperature": 0.9, "top_p": 0.5},
            },
        )
        listed = (await client.get("/api/models", headers=headers)).json()["data"]
        by_id = {m["id"]: m for m in listed}
        helper_meta = by_id["helper"]["info"]["meta"]
        assert helper_meta["description"] == "mine"
        assert helper_meta["capabilities"] == {"vision": False, "citations": True}
        assert by_id["fake-gpt"]["info"]["meta"]["description"] == "default"
        # Filling metadata does not make a record-less model visible to users.
        bob = await add_user(client, admin["token"], "Bob")
        assert await ids(client, bob["token"]) == []

        reply = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "helper", "messages": HI}
        )
        assert reply.status_code == 200, reply.text
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        assert sent["temperature"] == 0.3 and sent["top_p"] == 0.5  # the model's own wins


async def test_arena_model_picks_a_usable_model(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw, enable_evaluation_arena_models=True) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        bob = await add_user(client, admin["token"], "Bob")
        listed = (await client.get("/api/models", headers=headers)).json()["data"]
        arena = next(m for m in listed if m["id"] == "arena-model")
        assert arena["owned_by"] == "arena" and arena["arena"] is True
        assert arena["name"] == "Arena Model"
        assert "profile_image_url" not in arena["info"]["meta"]
        assert "arena-model" not in await ids(client, bob["token"])  # admins only by default

        reply = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "arena-model", "messages": HI}
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["selected_model_id"] in ("fake-gpt", "fake-llama:latest")

        # Only the listed candidates; shared with everyone through the arena's own grants.
        config = await client.post(
            "/api/v1/evaluations/config",
            headers=headers,
            json={
                "EVALUATION_ARENA_MODELS": [
                    {
                        "id": "duel",
                        "name": "Duel",
                        "meta": {"model_ids": ["fake-gpt"], "access_grants": PUBLIC_READ},
                    }
                ]
            },
        )
        assert config.status_code == 200, config.text
        assert config.json()["ENABLE_EVALUATION_ARENA_MODELS"] is True
        assert "duel" in await ids(client, bob["token"])
        async with client.stream(
            "POST",
            "/api/chat/completions",
            headers=headers,
            json={"model": "duel", "messages": HI, "stream": True},
        ) as stream:
            assert stream.status_code == 200
            lines = [line async for line in stream.aiter_lines() if line.startswith("data: ")]
        assert json.loads(lines[0][6:]) == {"selected_model_id": "fake-gpt"}
        frames = [json.loads(x[6:]) if x != "data: [DONE]" else "[DONE]" for x in lines[1:]]
        assert content_of(frames) and frames[-1] == "[DONE]"
        assert openai_up.requests_to("/v1/chat/completions")[-1].json["model"] == "fake-gpt"

        # Bob sees the arena but may use none of its candidates.
        refused = await client.post(
            "/api/chat/completions",
            headers=bearer(bob["token"]),
            json={"model": "duel", "messages": HI},
        )
        assert refused.status_code == 400 and refused.json()["detail"] == "Model not found"

        # Excluding the only OpenAI model leaves the Ollama one.
        await client.post(
            "/api/v1/evaluations/config",
            headers=headers,
            json={
                "EVALUATION_ARENA_MODELS": [
                    {"id": "duel", "meta": {"model_ids": ["fake-gpt"], "filter_mode": "exclude"}}
                ]
            },
        )
        reply = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "duel", "messages": HI}
        )
        assert reply.json()["selected_model_id"] == "fake-llama:latest"

        off = await client.post(
            "/api/v1/evaluations/config",
            headers=headers,
            json={"ENABLE_EVALUATION_ARENA_MODELS": False},
        )
        assert off.json()["EVALUATION_ARENA_MODELS"][0]["id"] == "duel"
        assert "duel" not in await ids(client, admin["token"])
