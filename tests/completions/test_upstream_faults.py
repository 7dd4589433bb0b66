"""Upstream faults on `/api/chat/completions`: each is a clear error, nothing is left
half-written in a recorded chat, and the next request is served normally.

The matrix: OpenAI-compatible and Ollama-backed models x streamed or not x recorded into a
chat or not, against every scripted fault of the fake upstream (plus a stopped one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.chats.support import message, new_chat
from tests.completions.test_chat import content_of, sse_chunks
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import bearer, signup

HELLO = "Hello, world!"
CONNECTION_ERROR = "Open WebUI: Server Connection Error"
LIMIT = 4096  # UPSTREAM_MAX_RESPONSE_SIZE in these tests
TIMEOUT = 0.5  # AIOHTTP_CLIENT_TIMEOUT in these tests; slow faults wait 4x that


@dataclass(frozen=True)
class Refused:
    """A JSON `{"detail"}` error before any answer: this status, this detail (or a part)."""

    status: int
    detail: str


@dataclass(frozen=True)
class Broken:
    """A stream that started, then ended with one error frame saying this (a part)."""

    error: str


Expected = Refused | Broken

ALL = ("refused", "reset", "500-html", "429-text", "502-empty", "503-odd", "slow", "stall",
       "html", "garbage", "huge")  # fmt: skip


def expected(fault: str, wire: str, stream: bool) -> Expected | None:
    """What the client gets; None when the fault does not apply (a stall needs a stream)."""
    if fault == "stall":
        return Broken("Upstream timed out mid-stream") if stream else None
    if fault == "reset":
        return Broken("closed the stream unexpectedly") if stream else Refused(502, "")
    if fault == "garbage":
        return Broken("not JSON") if stream else Refused(502, "not JSON")
    if fault == "huge":
        # OpenAI's first frame (the role) is small, so that stream has started; Ollama's
        # first line is the huge one.
        if stream and wire == "openai":
            return Broken(f"larger than {LIMIT} bytes")
        return Refused(502, f"larger than {LIMIT} bytes")
    return {
        "refused": Refused(502, CONNECTION_ERROR),
        "500-html": Refused(500, "Upstream error 500 (Internal Server Error)"),
        "429-text": Refused(429, "slow down"),
        "502-empty": Refused(502, "Upstream error 502 (Bad Gateway)"),
        "503-odd": Refused(503, "Upstream error 503 (Service Unavailable)"),
        "slow": Refused(504, "Upstream timed out"),
        "html": Refused(502, ""),
    }[fault]


@contextmanager
def faulty(up: FakeUpstream, fault: str) -> Iterator[None]:
    """The upstream misbehaves as `fault` says inside the block, and is well again after."""
    if fault == "refused":
        up.stop()
    else:
        up.fault = fault
    try:
        yield
    finally:
        if fault == "refused":
            up.start()  # the same port, free again
        up.fault = None


@dataclass
class Reply:
    status: int
    detail: Any = None
    content: str = ""
    error: str | None = None
    ended: bool = False
    retry_after: str | None = None


def read(response: httpx.Response) -> Reply:
    reply = Reply(response.status_code, retry_after=response.headers.get("retry-after"))
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        frames = sse_chunks(response.text)
        reply.content = content_of(frames)
        errors = [f["error"] for f in frames if isinstance(f, dict) and "error" in f]
        assert len(errors) <= 1, errors
        reply.error = errors[0]["message"] if errors else None  # type: ignore[index]
        reply.ended = bool(frames) and frames[-1] == "[DONE]"
        return reply
    body = response.json()
    if response.status_code >= 400:
        reply.detail = body["detail"]
    else:
        reply.content = body["choices"][0]["message"]["content"]
    return reply


def check(reply: Reply, want: Expected, fault: str) -> None:
    if isinstance(want, Refused):
        assert reply.status == want.status, (fault, reply)
        assert isinstance(reply.detail, str) and reply.detail and want.detail in reply.detail
        if fault == "429-text":
            assert reply.retry_after == "7"
        return
    assert reply.status == 200 and reply.ended, (fault, reply)
    assert reply.error is not None and want.error in reply.error, (fault, reply)
    assert HELLO.startswith(reply.content), (fault, reply)  # what came, never garbage


class Chat:
    """One stored chat the recorded requests write into, a new answer id per request."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], chat_id: str) -> None:
        self.client, self.headers, self.id = client, headers, chat_id
        self.count = 0
        self.parent = "a3"

    def body(self) -> dict[str, Any]:
        self.count += 1
        user_id, answer_id = f"u-{self.count}", f"a-{self.count}"
        user = message(user_id, self.parent, "user", "Say hello")
        self.parent = answer_id
        return {"chat_id": self.id, "id": answer_id, "parent_id": user["parentId"],
                "user_message": user}  # fmt: skip

    async def last(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the user message, the answer) of the latest request, as stored."""
        saved = await self.client.get(f"/api/v1/chats/{self.id}", headers=self.headers)
        assert saved.status_code == 200, saved.text
        messages = saved.json()["chat"]["history"]["messages"]
        return messages[f"u-{self.count}"], messages[f"a-{self.count}"]


async def check_saved(chat: Chat, reply: Reply, want: Expected | None) -> None:
    """Nothing half-written: the question is kept; the answer is closed (`done`), holding
    what was received and, after a fault, the error the client saw."""
    user, answer = await chat.last()
    assert user["content"] == "Say hello"
    assert answer["done"] is True and answer["content"] == reply.content
    if want is None:
        assert answer["content"] == HELLO and "error" not in answer
    else:
        said = reply.detail if isinstance(want, Refused) else reply.error
        assert answer["error"] == {"content": said}


@pytest.mark.parametrize("recorded", [False, True], ids=["plain", "recorded"])
@pytest.mark.parametrize("wire", ["openai", "ollama"])
async def test_every_fault_is_a_clear_error_and_the_next_request_succeeds(
    make_client: MakeClient,
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
    wire: str,
    recorded: bool,
) -> None:
    up = openai_up if wire == "openai" else ollama_up
    up.slow_delay = TIMEOUT * 4
    up.huge_size = LIMIT * 3
    model = "fake-gpt" if wire == "openai" else "fake-llama:latest"
    settings = {
        **gateway_settings(openai_up, ollama_up),
        "aiohttp_client_timeout": TIMEOUT,
        "upstream_max_response_size": LIMIT,
    }
    async with make_client(**settings) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        chat = Chat(client, headers, (await new_chat(client, admin["token"]))["id"])

        async def ask(stream: bool) -> Reply:
            body: dict[str, Any] = {
                "model": model,
                "messages": [{"role": "user", "content": "Say hello"}],
                "stream": stream,
            }
            if recorded:
                body.update(chat.body())
            response = await client.post(
                "/api/chat/completions", headers=headers, json=body,
                extensions={"allow_5xx": True},
            )  # fmt: skip
            return read(response)

        for stream in (False, True):
            assert (await ask(stream)).content == HELLO  # the model list is known now
        for fault in ALL:
            for stream in (False, True):
                want = expected(fault, wire, stream)
                if want is None:
                    continue
                with faulty(up, fault):
                    reply = await ask(stream)
                check(reply, want, fault)
                if recorded:
                    await check_saved(chat, reply, want)
                healthy = await ask(stream)
                assert (healthy.status, healthy.content, healthy.error) == (200, HELLO, None), (
                    fault,
                    healthy,
                )
                if recorded:
                    await check_saved(chat, healthy, None)
    assert up.active_streams == 0
