"""`/openai/*` routes and the Anthropic-shaped `/api/v1/messages`, through HTTP."""

from __future__ import annotations

import json

import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

HELLO = "Hello, world!"
PASSTHROUGH = (
    "Direct API passthrough is disabled. Set ENABLE_OPENAI_API_PASSTHROUGH=True to enable."
)


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def test_openai_routes(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        merged = (await client.get("/openai/models", headers=headers)).json()
        assert [m["id"] for m in merged["data"]] == ["fake-gpt"]
        raw = (await client.get("/openai/models/0", headers=headers)).json()
        assert raw["object"] == "list" and raw["data"][0]["owned_by"] == "fake"
        reply = await client.post(
            "/openai/chat/completions",
            headers=headers,
            json={"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert reply.json()["choices"][0]["message"]["content"] == HELLO
        unknown = await client.post(
            "/openai/chat/completions", headers=headers, json={"model": "nope", "messages": []}
        )
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == "Model 'nope' was not found"
        bob = await add_user(client, admin["token"], "Bob")
        hidden = await client.post(
            "/openai/chat/completions",
            headers=bearer(bob["token"]),
            json={"model": "fake-gpt", "messages": []},
        )
        assert hidden.status_code == 403
        for method in ("GET", "POST", "DELETE"):
            blocked = await client.request(method, "/openai/files", headers=headers)
            assert blocked.status_code == 403 and blocked.json() == {"detail": PASSTHROUGH}
        config = (await client.get("/openai/config", headers=headers)).json()
        assert config["OPENAI_API_KEYS"] == ["sk-upstream-secret"]


async def test_openai_connection_config_and_verify(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        saved = await client.post(
            "/openai/config/update",
            headers=headers,
            json={
                "OPENAI_API_BASE_URLS": [openai_up.openai_url, "http://127.0.0.1:9/v1"],
                "OPENAI_API_KEYS": ["k1"],
                "OPENAI_API_CONFIGS": {"0": {"prefix_id": "up"}, "7": {"enable": True}},
            },
        )
        body = saved.json()
        assert body["OPENAI_API_KEYS"] == ["k1", ""] and list(body["OPENAI_API_CONFIGS"]) == ["0"]
        ids = [m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]]
        assert "up.fake-gpt" in ids and "fake-gpt" not in ids  # the dead second one adds nothing
        reply = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "up.fake-gpt", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert reply.status_code == 200
        assert openai_up.requests_to("/v1/chat/completions")[-1].json["model"] == "fake-gpt"
        verified = await client.post(
            "/openai/verify", headers=headers, json={"url": openai_up.openai_url, "key": "k"}
        )
        assert verified.json()["data"][0]["id"] == "fake-gpt"
        bad = await client.post(
            "/openai/config/update", headers=headers, json={"OPENAI_API_BASE_URLS": ["ftp://x"]}
        )
        assert bad.status_code == 422


async def test_anthropic_messages(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        key = (await client.post("/api/v1/auths/api_key", headers=bearer(admin["token"]))).json()
        headers = {"x-api-key": key["api_key"]}
        body = {
            "model": "fake-gpt",
            "max_tokens": 64,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "hi"}],
        }
        reply = await client.post("/api/v1/messages", headers=headers, json=body)
        assert reply.status_code == 200, reply.text
        message = reply.json()
        assert message["type"] == "message" and message["role"] == "assistant"
        assert message["content"] == [{"type": "text", "text": HELLO}]
        assert message["stop_reason"] == "end_turn"
        streamed = await client.post("/api/message", headers=headers, json={**body, "stream": True})
        events = [
            line.removeprefix("event: ")
            for line in streamed.text.splitlines()
            if line.startswith("event: ")
        ]
        assert events[0] == "message_start" and events[-1] == "message_stop"
        assert "content_block_delta" in events and "message_delta" in events
        text = "".join(
            json.loads(line[6:])["delta"].get("text", "")
            for line in streamed.text.splitlines()
            if line.startswith("data: ") and '"content_block_delta"' in line
        )
        assert text == HELLO
        bad = await client.post("/api/v1/messages", headers=headers, json={"model": "fake-gpt"})
        assert bad.status_code == 400
        assert bad.json()["type"] == "error" and bad.json()["detail"]
        unknown = await client.post(
            "/api/v1/messages", headers=headers, json={**body, "model": "nope"}
        )
        assert (
            unknown.status_code == 400 and unknown.json()["error"]["message"] == "Model not found"
        )


async def test_openai_responses_api(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        body = {"model": "fake-gpt", "input": "hi", "store": False, "x_custom": 1}
        reply = await client.post("/openai/responses", headers=headers, json=body)
        assert reply.status_code == 200, reply.text
        assert reply.json()["output"][0]["content"][0]["text"] == HELLO
        sent = openai_up.requests_to("/v1/responses")[-1]
        assert sent.json == body and sent.headers["authorization"] == "Bearer sk-upstream-secret"

        async with client.stream(
            "POST", "/openai/responses", headers=headers, json={**body, "stream": True}
        ) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = [
                json.loads(line[6:])
                async for line in stream.aiter_lines()
                if line.startswith("data:")
            ]
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == HELLO and events[-1]["type"] == "response.completed"

        unknown = await client.post("/openai/responses", headers=headers, json={"model": "nope"})
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == "Model 'nope' was not found"
        ollama = await client.post(
            "/openai/responses", headers=headers, json={"model": "fake-llama:latest"}
        )
        assert ollama.status_code == 404
        missing = await client.post("/openai/responses", headers=headers, json={"input": "hi"})
        assert missing.status_code == 422
        bob = await add_user(client, admin["token"], "Bob")
        refused = await client.post(
            "/openai/responses", headers=bearer(bob["token"]), json={"model": "fake-gpt"}
        )
        assert refused.status_code == 403 and refused.json()["detail"] == "Model not found"


async def test_anthropic_count_tokens(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = {"x-api-key": admin["token"]}
        body = {"model": "fake-gpt", "messages": [{"role": "user", "content": "one two three"}]}
        for path in ("/api/v1/messages/count_tokens", "/api/message/count_tokens"):
            counted = await client.post(path, headers=headers, json=body)
            assert counted.status_code == 200, counted.text
            assert counted.json() == {"input_tokens": 3}
        assert openai_up.requests_to("/v1/messages/count_tokens")[-1].json == body
        missing = await client.post(
            "/api/v1/messages/count_tokens", headers=headers, json={"messages": []}
        )
        assert missing.status_code == 400 and missing.json()["detail"] == "model is required"
        unknown = await client.post(
            "/api/v1/messages/count_tokens", headers=headers, json={**body, "model": "nope"}
        )
        assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "not_found_error"
        ollama = await client.post(
            "/api/v1/messages/count_tokens",
            headers=headers,
            json={**body, "model": "fake-llama:latest"},
        )
        assert ollama.status_code == 400
        garbage = await client.post(
            "/api/v1/messages/count_tokens", headers=headers, content=b"[1, 2]"
        )
        assert garbage.status_code == 400
