"""`/api/chat/completions` and `/api/models` through HTTP against fake upstreams."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import UPSTREAM_KEY, gateway_settings
from tests.support import add_user, bearer, signup

HELLO = "Hello, world!"


def sse_chunks(text: str) -> list[dict[str, object] | str]:
    frames: list[dict[str, object] | str] = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            data = block[6:]
            frames.append(data if data == "[DONE]" else json.loads(data))
    return frames


def content_of(frames: list[dict[str, object] | str]) -> str:
    text = ""
    for frame in frames:
        if isinstance(frame, dict) and frame.get("choices"):
            delta = frame["choices"][0].get("delta", {})  # type: ignore[index]
            text += delta.get("content") or ""
    return text


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def test_models_list_merges_both_providers(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        body = (await client.get("/api/models", headers=bearer(admin["token"]))).json()
        by_id = {m["id"]: m for m in body["data"]}
        assert by_id["fake-gpt"]["owned_by"] == "openai" and by_id["fake-gpt"]["urlIdx"] == 0
        assert by_id["fake-llama:latest"]["owned_by"] == "ollama"
        assert by_id["fake-llama:latest"]["ollama"]["urls"] == [0]
        assert all(m["tags"] == [] for m in body["data"])
        same = (await client.get("/api/v1/models", headers=bearer(admin["token"]))).json()
        assert {m["id"] for m in same["data"]} == set(by_id)
        # Without a record or grant, a provider model is for admins only.
        bob = await add_user(client, admin["token"], "Bob")
        assert (await client.get("/api/models", headers=bearer(bob["token"]))).json() == {
            "data": []
        }


@pytest.mark.parametrize("model", ["fake-gpt", "fake-llama:latest"])
async def test_chat_non_streaming(
    make_client: MakeClient,
    gw: dict[str, object],
    openai_up: FakeUpstream,
    model: str,
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        response = await client.post(
            "/api/chat/completions",
            headers=bearer(admin["token"]),
            json={
                "model": model,
                "messages": [{"role": "user", "content": "Why is the sky blue?"}],
                "temperature": 0.5,
                "custom_field": {"kept": True},
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["object"] == "chat.completion"
        assert body["choices"][0]["message"]["content"] == HELLO
        assert body["choices"][0]["finish_reason"] == "stop"
        assert body["usage"]["total_tokens"] > 0
        if model == "fake-gpt":
            sent = openai_up.requests_to("/v1/chat/completions")[-1]
            assert sent.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
            assert sent.json["temperature"] == 0.5 and sent.json["custom_field"] == {"kept": True}


async def test_ollama_request_is_translated(
    make_client: MakeClient, gw: dict[str, object], ollama_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        await client.post(
            "/api/v1/chat/completions",
            headers=bearer(admin["token"]),
            json={
                "model": "fake-llama:latest",
                "messages": [{"role": "user", "content": "hi"}],
                "temperature": 0.2,
                "max_tokens": 7,
                "stream": True,
            },
        )
        sent = ollama_up.requests_to("/api/chat")[-1].json
        assert sent["model"] == "fake-llama:latest" and sent["stream"] is True
        assert sent["options"] == {"temperature": 0.2, "num_predict": 7}
        assert sent["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("model", ["fake-gpt", "fake-llama:latest"])
async def test_chat_streaming_in_process(
    make_client: MakeClient, gw: dict[str, object], model: str
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        response = await client.post(
            "/api/chat/completions",
            headers=bearer(admin["token"]),
            json={"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = sse_chunks(response.text)
        assert frames[-1] == "[DONE]"
        assert content_of(frames) == HELLO
        finals = [f for f in frames if isinstance(f, dict) and f["choices"]]
        assert finals[-1]["choices"][0]["finish_reason"] == "stop"  # type: ignore[index]


async def test_unknown_model_and_bad_bodies(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        missing = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "nope", "messages": []}
        )
        assert missing.status_code == 400 and missing.json()["detail"] == "Model not found"
        for body in ({}, {"model": ""}, {"model": "fake-gpt", "messages": "hi"}, []):
            bad = await client.post("/api/chat/completions", headers=headers, json=body)
            assert bad.status_code == 422, body


@pytest.mark.parametrize(("model", "status"), [("fault-500", 500), ("fault-429", 429)])
async def test_upstream_errors_keep_status_and_message(
    make_client: MakeClient, gw: dict[str, object], model: str, status: int
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        await _pin_model_ids(client, headers, ["fake-gpt", model])
        response = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": model, "messages": [{"role": "user", "content": "x"}]},
            extensions={"allow_5xx": True},
        )
        assert response.status_code == status
        body = response.json()
        assert body["detail"] and body["error"]["message"] == body["detail"]


async def _pin_model_ids(
    client: httpx.AsyncClient, headers: dict[str, str], model_ids: list[str]
) -> None:
    """Expose exactly these ids on the OpenAI connection (fault ids are not listed upstream)."""
    config = (await client.get("/openai/config", headers=headers)).json()
    config["OPENAI_API_CONFIGS"] = {"0": {"model_ids": model_ids}}
    saved = await client.post("/openai/config/update", headers=headers, json=config)
    assert saved.status_code == 200, saved.text


async def test_unreachable_upstream_is_a_clear_error(make_client: MakeClient) -> None:
    with FakeUpstream(models=["fake-gpt"]) as up:
        url = up.openai_url
    async with make_client(
        enable_openai_api=True, openai_api_base_urls=url, models_cache_ttl=0.0
    ) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        await _pin_model_ids(client, headers, ["fake-gpt"])
        response = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "fake-gpt", "messages": [{"role": "user", "content": "x"}]},
            extensions={"allow_5xx": True},
        )
        assert response.status_code == 502
        assert response.json() == {"detail": "Open WebUI: Server Connection Error"}


@pytest.mark.parametrize("model", ["fault-reset", "fault-garbage"])
async def test_broken_stream_ends_with_error_event(
    make_client: MakeClient, gw: dict[str, object], model: str
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        await _pin_model_ids(client, headers, ["fake-gpt", model])
        response = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": model, "messages": [{"role": "user", "content": "x"}], "stream": True},
        )
        frames = sse_chunks(response.text)
        errors = [f for f in frames if isinstance(f, dict) and "error" in f]
        assert len(errors) == 1 and errors[0]["error"]["message"]  # type: ignore[index]
        assert frames[-1] == "[DONE]"


async def test_a_stalled_upstream_does_not_stall_the_model_list(
    make_client: MakeClient, openai_up: FakeUpstream
) -> None:
    with FakeUpstream(models=["slow-gpt"], fault="slow", slow_delay=30) as stalled:
        async with make_client(
            enable_openai_api=True,
            openai_api_base_urls=f"{openai_up.openai_url};{stalled.openai_url}",
            aiohttp_client_timeout_model_list=0.5,
            models_cache_ttl=0.0,
        ) as client:
            admin = await signup(client, "Ada")
            headers = bearer(admin["token"])
            for _ in range(2):  # first fetch, then served from cache while refreshing
                listed = (await client.get("/api/models", headers=headers)).json()
                assert [m["id"] for m in listed["data"]] == ["fake-gpt"]
            stalled.fault = None
            stalled.slow_delay = 0
            for _ in range(50):  # the refresh picks the recovered upstream up again
                ids = [
                    m["id"]
                    for m in (await client.get("/api/models", headers=headers)).json()["data"]
                ]
                if "slow-gpt" in ids:
                    break
                await asyncio.sleep(0.1)
            assert "slow-gpt" in ids


@pytest.mark.parametrize("model", ["fake-gpt", "fake-llama:latest"])
async def test_embeddings_in_openai_shape(
    make_client: MakeClient, gw: dict[str, object], model: str
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        response = await client.post(
            "/api/embeddings",
            headers=bearer(admin["token"]),
            json={"model": model, "input": ["one", "two"]},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["object"] == "list" and [d["index"] for d in body["data"]] == [0, 1]
        assert all(len(d["embedding"]) == 8 for d in body["data"])
        unknown = await client.post(
            "/api/v1/embeddings", headers=bearer(admin["token"]), json={"model": "x", "input": "a"}
        )
        assert unknown.status_code == 400
