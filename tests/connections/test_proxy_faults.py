"""Upstream faults through the `/ollama/*` and `/openai/*` proxies: a JSON `{"detail"}` (with
the upstream's status, else 502/504) before a stream starts, one error line and the end
after; garbage is never relayed, and the next request is served normally."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.completions.test_upstream_faults import (
    ALL,
    HELLO,
    LIMIT,
    TIMEOUT,
    Broken,
    Expected,
    Refused,
    faulty,
)
from tests.completions.test_upstream_faults import expected as chat_expected
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import bearer, signup

LLAMA = "fake-llama:latest"


@dataclass(frozen=True)
class Route:
    path: str
    wire: str  # which fake serves it
    model: str
    lines: str  # "ndjson" or "sse"


ROUTES = [
    Route("/ollama/api/chat", "ollama", LLAMA, "ndjson"),
    Route("/ollama/v1/chat/completions", "ollama", LLAMA, "sse"),
    Route("/openai/responses", "openai", "fake-gpt", "sse"),
]


def expected(fault: str, route: Route, stream: bool) -> Expected | None:
    if fault == "huge" and stream:  # an NDJSON chat's first line is the huge one
        return Refused(502, "larger than") if route.lines == "ndjson" else Broken("larger than")
    return chat_expected(fault, "openai", stream)


def body_for(route: Route, stream: bool) -> dict[str, Any]:
    if route.path.endswith("/responses"):
        return {"model": route.model, "input": "Say hello", "stream": stream}
    return {"model": route.model, "messages": [{"role": "user", "content": "hi"}],
            "stream": stream}  # fmt: skip


def text_of(route: Route, item: dict[str, Any]) -> str:
    """The answer text one frame (or the whole body) carries."""
    if "message" in item and isinstance(item["message"], dict):  # Ollama
        return str(item["message"].get("content") or "")
    if item.get("type") == "response.output_text.delta":
        return str(item["delta"])
    if item.get("object") == "response":
        return str(item["output"][0]["content"][0]["text"])
    choices = item.get("choices") or [{}]
    part = choices[0].get("delta") or choices[0].get("message") or {}
    return str(part.get("content") or "")


def error_of(item: dict[str, Any]) -> str | None:
    error = item.get("error")
    if isinstance(error, dict):
        return str(error.get("message"))
    if isinstance(error, str):
        return error
    return str(item["message"]) if item.get("type") == "error" else None


def items(route: Route, text: str) -> tuple[list[dict[str, Any]], bool]:
    """Every frame of a relayed stream (each must be JSON), and whether it ended cleanly."""
    if route.lines == "ndjson":
        return [json.loads(line) for line in text.splitlines() if line.strip()], True
    frames, done = [], False
    for line in text.splitlines():
        assert line == "" or line.startswith("data: "), line  # garbage is never relayed
        if line.startswith("data: "):
            data = line[6:]
            if data == "[DONE]":
                done = True
            else:
                frames.append(json.loads(data))
    return frames, done or route.path.endswith("/responses")


async def check(client: httpx.AsyncClient, headers: dict[str, str], route: Route,
                stream: bool, want: Expected | None, fault: str) -> None:  # fmt: skip
    response = await client.post(
        route.path, headers=headers, json=body_for(route, stream), extensions={"allow_5xx": True}
    )
    if isinstance(want, Refused):
        assert response.status_code == want.status, (fault, route, stream, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, str) and want.detail in detail, (fault, route, detail)
        if fault == "429-text":
            assert response.headers["retry-after"] == "7"
        return
    assert response.status_code == 200, (fault, route, response.text)
    if not stream:
        assert text_of(route, response.json()) == HELLO
        return
    frames, ended = items(route, response.text)
    errors = [e for f in frames if (e := error_of(f)) is not None]
    text = "".join(text_of(route, f) for f in frames if error_of(f) is None)
    assert HELLO.startswith(text), (fault, route, text)
    if want is None:
        assert (text, errors, ended) == (HELLO, [], True), (route, frames)
    else:
        assert len(errors) == 1 and want.error in errors[0], (fault, route, frames)
        assert error_of(frames[-1]) is not None  # the error line is the last


@pytest.mark.parametrize("route", ROUTES, ids=[r.path for r in ROUTES])
async def test_proxy_faults_are_clear_errors_and_the_next_request_succeeds(
    make_client: MakeClient, openai_up: FakeUpstream, ollama_up: FakeUpstream, route: Route
) -> None:
    up = openai_up if route.wire == "openai" else ollama_up
    up.slow_delay = TIMEOUT * 4
    up.huge_size = LIMIT * 3
    settings = {
        **gateway_settings(openai_up, ollama_up),
        "aiohttp_client_timeout": TIMEOUT,
        "upstream_max_response_size": LIMIT,
    }
    async with make_client(**settings) as client:
        headers = bearer((await signup(client, "Ada"))["token"])
        for stream in (False, True):
            await check(client, headers, route, stream, None, "none")
        for fault in ALL:
            for stream in (False, True):
                want = expected(fault, route, stream)
                if want is None:
                    continue
                with faulty(up, fault):
                    await check(client, headers, route, stream, want, fault)
                await check(client, headers, route, stream, None, f"after {fault}")
    assert up.active_streams == 0
