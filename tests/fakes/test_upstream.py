"""Self-test of the FakeUpstream test double: both wire protocols, timing, faults, recording."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.upstream import FakeUpstream, embedding_for

CHAT = [{"role": "user", "content": "hi there"}]


@pytest.fixture
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def sse_payloads(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_model_lists(up: FakeUpstream, client: httpx.Client) -> None:
    openai = client.get(f"{up.openai_url}/models").json()
    assert openai["object"] == "list"
    assert [m["id"] for m in openai["data"]] == ["fake-gpt", "fake-llama:latest"]
    assert all(m["object"] == "model" and m["owned_by"] == "fake" for m in openai["data"])
    tags = client.get(f"{up.url}/api/tags").json()
    assert [m["name"] for m in tags["models"]] == ["fake-gpt", "fake-llama:latest"]
    assert tags["models"][0]["details"]["format"] == "gguf"
    assert client.get(f"{up.url}/api/version").json() == {"version": "0.9.0"}
    ps = client.get(f"{up.url}/api/ps").json()["models"]
    assert [m["name"] for m in ps] == ["fake-gpt"] and ps[0]["size_vram"] == 0


def test_openai_chat_non_stream(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "fake-gpt", "messages": CHAT}
    reply = client.post(f"{up.openai_url}/chat/completions", json=body).json()
    assert reply["object"] == "chat.completion" and reply["id"].startswith("chatcmpl-")
    assert reply["choices"][0]["message"] == {"role": "assistant", "content": "Hello, world!"}
    assert reply["choices"][0]["finish_reason"] == "stop"
    usage = reply["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_openai_chat_stream(up: FakeUpstream, client: httpx.Client) -> None:
    body = {
        "model": "fake-gpt",
        "messages": CHAT,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = client.post(f"{up.openai_url}/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    payloads = sse_payloads(response.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hello, world!"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4


def test_openai_tool_call_stream(up: FakeUpstream, client: httpx.Client) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    body = {"model": "fake-gpt", "messages": CHAT, "tools": tools, "stream": True}
    payloads = sse_payloads(client.post(f"{up.openai_url}/chat/completions", json=body).text)
    chunks = [json.loads(p) for p in payloads[:-1]]
    calls = [c["choices"][0]["delta"].get("tool_calls") for c in chunks]
    assert calls[0][0]["id"] == "call_1" and calls[0][0]["function"]["name"] == "lookup"
    arguments = "".join(call[0]["function"]["arguments"] for call in calls if call)
    assert json.loads(arguments) == {"x": 1}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_frames_arrive_spaced_by_token_delay(client: httpx.Client) -> None:
    with FakeUpstream(token_delay=0.2) as up:
        body = {"model": "fake-gpt", "messages": CHAT, "stream": True}
        arrivals: list[float] = []
        with client.stream("POST", f"{up.openai_url}/chat/completions", json=body) as response:
            for line in response.iter_lines():
                if (
                    line.startswith("data: {")
                    and '"content":"' in line
                    and '"content":""' not in line
                ):
                    arrivals.append(time.monotonic())
    assert len(arrivals) == 4
    assert arrivals[-1] - arrivals[0] >= 0.5  # streamed, not buffered until the end


def test_ollama_chat(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "fake-llama", "messages": CHAT}  # stream defaults to true
    response = client.post(f"{up.url}/api/chat", json=body)
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = ndjson(response.text)
    assert "".join(line["message"]["content"] for line in lines) == "Hello, world!"
    assert [line["done"] for line in lines] == [False] * 4 + [True]
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == 4
    single = client.post(f"{up.url}/api/chat", json={**body, "stream": False}).json()
    assert single["message"]["content"] == "Hello, world!" and single["done"] is True
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    called = client.post(f"{up.url}/api/chat", json={**body, "stream": False, "tools": tools})
    tool_calls = called.json()["message"]["tool_calls"]
    assert tool_calls == [{"function": {"name": "lookup", "arguments": {"x": 1}}}]


def test_ollama_generate_pull_and_embeddings(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "fake-llama:latest", "prompt": "hi"}
    lines = ndjson(client.post(f"{up.url}/api/generate", json=body).text)
    assert "".join(line["response"] for line in lines) == "Hello, world!"
    assert lines[-1]["context"] == [1, 2, 3]
    pulled = ndjson(client.post(f"{up.url}/api/pull", json={"model": "new:7b"}).text)
    assert pulled[0] == {"status": "pulling manifest"} and pulled[-1] == {"status": "success"}
    assert "new:7b" in up.models
    vector = embedding_for("abc")
    openai = client.post(f"{up.openai_url}/embeddings", json={"model": "fake-gpt", "input": "abc"})
    ollama = client.post(f"{up.url}/api/embed", json={"model": "fake-gpt", "input": ["abc"]})
    assert openai.json()["data"][0]["embedding"] == vector == ollama.json()["embeddings"][0]
    assert len(vector) == 8


def test_reset_fault_breaks_the_stream(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "fault-reset", "messages": CHAT, "stream": True}
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("POST", f"{up.openai_url}/chat/completions", json=body) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                received.append(line)
    assert len(sse_payloads("\n".join(received))) == 2
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{up.url}/api/chat", json={**body, "stream": False})


def test_status_faults(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "x-fault-500", "messages": CHAT}
    failed = client.post(f"{up.openai_url}/chat/completions", json=body)
    assert failed.status_code == 500 and failed.json()["error"]["type"] == "server_error"
    limited = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-429"})
    assert limited.status_code == 429 and limited.json() == {"error": "rate limited"}
    up.fault = "500"
    assert client.get(f"{up.url}/api/tags").json() == {
        "error": "fake upstream: internal server error"
    }
    up.fault = "garbage"
    assert client.get(f"{up.openai_url}/models").text == "not json"
    up.fault = None
    stream = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-garbage"}).text
    assert stream.splitlines()[1] == "{not json" and len(stream.splitlines()) == 6


def test_odd_bodies_html_and_huge(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "fault-500-html", "messages": CHAT}
    page = client.post(f"{up.openai_url}/chat/completions", json=body)
    assert page.status_code == 500 and page.text.startswith("<html>")
    empty = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-502-empty"})
    assert empty.status_code == 502 and empty.content == b""
    text = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-429-text"})
    assert (text.status_code, text.text, text.headers["retry-after"]) == (429, "slow down", "7")
    odd = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-503-odd"})
    assert odd.status_code == 503 and odd.json() == {"error": {"code": 503}}
    html = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    up.huge_size = 5000
    huge = client.post(f"{up.url}/api/chat", json={**body, "model": "fault-huge", "stream": True})
    assert [len(line) > 5000 for line in huge.text.splitlines()] == [True, False]
    assert up.reply_text == "Hello, world!"  # the scripted tokens are back


def test_stall_fault_pauses_mid_stream(up: FakeUpstream, client: httpx.Client) -> None:
    up.slow_delay = 0.3
    body = {"model": "fault-stall", "messages": CHAT, "stream": True}
    started = time.monotonic()
    with client.stream("POST", f"{up.openai_url}/chat/completions", json=body) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
        rest = list(lines)
    assert time.monotonic() - started >= 0.3 and rest[-2] == "data: [DONE]"


def test_slow_fault_delays_the_response(up: FakeUpstream, client: httpx.Client) -> None:
    up.slow_delay = 0.3
    started = time.monotonic()
    body = {"model": "fault-slow", "messages": CHAT, "stream": False}
    reply = client.post(f"{up.url}/api/chat", json=body).json()
    assert time.monotonic() - started >= 0.3 and reply["done"] is True


def test_unknown_model(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "nope", "messages": CHAT}
    openai = client.post(f"{up.openai_url}/chat/completions", json=body)
    assert openai.status_code == 404
    assert openai.json()["error"]["code"] == "model_not_found"
    assert openai.json()["error"]["message"] == "The model `nope` does not exist"
    ollama = client.post(f"{up.url}/api/chat", json=body)
    assert ollama.status_code == 404 and ollama.json() == {"error": "model 'nope' not found"}


def test_requests_are_recorded(up: FakeUpstream, client: httpx.Client) -> None:
    body = {"model": "fake-gpt", "messages": CHAT}
    client.post(f"{up.openai_url}/chat/completions?x=1", json=body, headers={"X-Trace": "t1"})
    recorded = up.last_request
    assert (recorded.method, recorded.path, recorded.query) == (
        "POST",
        "/v1/chat/completions",
        {"x": "1"},
    )
    assert recorded.headers["x-trace"] == "t1" and recorded.json == body
    assert len(up.requests_to("/v1/chat/completions")) == 1


def test_api_key_is_enforced(client: httpx.Client) -> None:
    with FakeUpstream(api_key="sk-test") as up:
        assert client.get(f"{up.openai_url}/models").status_code == 401
        assert client.get(f"{up.url}/api/tags").status_code == 401
        auth = {"Authorization": "Bearer sk-test"}
        assert client.get(f"{up.openai_url}/models", headers=auth).status_code == 200
        assert client.get(f"{up.url}/api/tags", headers=auth).status_code == 200


async def raw_post(port: int, path: str, body: dict[str, Any]) -> bytes:
    """A bare HTTP/1.1 POST (httpx's pool, not the fake, is the bottleneck at high fan-out)."""
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + payload)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def test_many_concurrent_streams() -> None:
    with FakeUpstream(token_delay=0.05) as up:
        body = {"model": "fake-gpt", "messages": CHAT, "stream": True}
        replies = await asyncio.gather(
            *(raw_post(up.port, "/v1/chat/completions", body) for _ in range(500))
        )
    for reply in replies:
        assert reply.startswith(b"HTTP/1.1 200") and b"data: [DONE]" in reply
        assert reply.endswith(b"0\r\n\r\n")  # every chunked body completed


async def test_stop_with_streams_open() -> None:
    up = FakeUpstream(token_delay=10).start()
    body = {"model": "fake-llama", "messages": CHAT}
    async with httpx.AsyncClient(timeout=10) as ac:
        opened = [
            await ac.send(ac.build_request("POST", f"{up.url}/api/chat", json=body), stream=True)
            for _ in range(20)
        ]
        await asyncio.to_thread(up.stop)  # must not wait for the 10 s frames
        assert not up.running
        for response in opened:
            with pytest.raises(httpx.HTTPError):
                await response.aread()
            await response.aclose()
