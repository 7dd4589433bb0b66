"""Filter functions on completions: inlet before the model, outlet on /api/chat/completed."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import bearer, signup

RATE_LIMIT = """
from pydantic import BaseModel


class Filter:
    class Valves(BaseModel):
        priority: int = 0
        max_requests: int = 2

    def __init__(self):
        self.valves = self.Valves()
        self.seen = {}

    def inlet(self, body: dict, __user__: dict) -> dict:
        count = self.seen.get(__user__["id"], 0) + 1
        self.seen[__user__["id"]] = count
        if count > self.valves.max_requests:
            raise Exception("Rate limit exceeded. Please try again later.")
        return body
"""

TAGGER = """
from pydantic import BaseModel


class Filter:
    class Valves(BaseModel):
        priority: int = {priority}

    def __init__(self):
        self.valves = self.Valves()

    async def inlet(self, body: dict, __id__: str, __metadata__: dict) -> dict:
        messages = body.get("messages", [])
        messages.append({{"role": "system", "content": __id__}})
        return {{**body, "messages": messages}}
"""

TOGGLED = """
class Filter:
    def __init__(self):
        self.toggle = True

    def inlet(self, body: dict) -> dict:
        return {**body, "temperature": 0.123}
"""

FOOTER = """
class Filter:
    def outlet(self, body: dict, __user__: dict) -> dict:
        for message in body["messages"]:
            if message["role"] == "assistant":
                message["content"] += "\\n\\n-- checked for " + __user__["name"]
        return body
"""

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def install(
    client: httpx.AsyncClient, token: str, fid: str, content: str, global_: bool = True
) -> None:
    headers = bearer(token)
    made = await client.post(
        "/api/v1/functions/create",
        headers=headers,
        json={"id": fid, "name": fid, "content": content, "meta": {}},
    )
    assert made.status_code == 200, made.text
    await client.post(f"/api/v1/functions/id/{fid}/toggle", headers=headers)
    if global_:
        await client.post(f"/api/v1/functions/id/{fid}/toggle/global", headers=headers)


async def test_inlets_run_in_priority_order(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "second", TAGGER.format(priority=5))
        await install(client, ada["token"], "first", TAGGER.format(priority=1))
        await install(client, ada["token"], "off", TAGGER.format(priority=0), global_=False)
        reply = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "fake-gpt", "messages": HI}
        )
        assert reply.status_code == 200, reply.text
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        assert [m["content"] for m in sent["messages"][1:]] == ["first", "second"]
        # Valves change the order.
        await client.post(
            "/api/v1/functions/id/first/valves/update", headers=headers, json={"priority": 9}
        )
        await client.post(
            "/api/chat/completions", headers=headers, json={"model": "fake-gpt", "messages": HI}
        )
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        assert [m["content"] for m in sent["messages"][1:]] == ["second", "first"]
        # A filter attached to the model through meta.filterIds runs for that model.
        await client.post(
            "/api/v1/models/create",
            headers=headers,
            json={
                "id": "with-off",
                "base_model_id": "fake-gpt",
                "name": "W",
                "meta": {"filterIds": ["off"]},
                "params": {},
            },
        )
        await client.post(
            "/api/chat/completions", headers=headers, json={"model": "with-off", "messages": HI}
        )
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        assert [m["content"] for m in sent["messages"][1:]] == ["off", "second", "first"]


async def test_a_raising_inlet_refuses_the_request(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        await install(client, ada["token"], "rate_limit", RATE_LIMIT)
        body = {"model": "fake-gpt", "messages": HI}
        for _ in range(2):
            ok = await client.post("/api/chat/completions", headers=bearer(ada["token"]), json=body)
            assert ok.status_code == 200
        limited = await client.post(
            "/api/chat/completions", headers=bearer(ada["token"]), json=body
        )
        assert limited.status_code == 400
        assert (
            limited.json()["detail"]
            == "Function rate_limit: Rate limit exceeded. Please try again later."
        )
        assert len(openai_up.requests_to("/v1/chat/completions")) == 2  # the model was not called


async def test_toggleable_filters_run_only_when_switched_on(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        await install(client, ada["token"], "toggled", TOGGLED)
        headers = bearer(ada["token"])
        await client.post(
            "/api/chat/completions", headers=headers, json={"model": "fake-gpt", "messages": HI}
        )
        assert "temperature" not in openai_up.requests_to("/v1/chat/completions")[-1].json
        on = {"model": "fake-gpt", "messages": HI, "filter_ids": ["toggled"]}
        await client.post("/api/chat/completions", headers=headers, json=on)
        assert openai_up.requests_to("/v1/chat/completions")[-1].json["temperature"] == 0.123


async def test_chat_completed_runs_outlets(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        await install(client, ada["token"], "footer", FOOTER)
        body = {
            "model": "fake-gpt",
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
            ],
            "chat_id": "chat-1",
            "session_id": "s",
        }
        done = await client.post("/api/chat/completed", headers=bearer(ada["token"]), json=body)
        assert done.status_code == 200, done.text
        assert done.json()["messages"][1]["content"] == "Hello\n\n-- checked for Ada"
        assert done.json()["chat_id"] == "chat-1"
        # A plain completion does not run outlets inline (the client calls /completed itself).
        reply = await client.post(
            "/api/chat/completions",
            headers=bearer(ada["token"]),
            json={"model": "fake-gpt", "messages": HI},
        )
        assert "checked for" not in reply.json()["choices"][0]["message"]["content"]


REDACT = """
class Filter:
    def stream(self, event: dict) -> dict:
        for choice in event.get("choices", []):
            delta = choice.get("delta", {})
            if delta.get("content") == ",":
                return None  # a falsy return drops the chunk
            if delta.get("content"):
                delta["content"] = delta["content"].replace("world", "[redacted]")
        return event
"""

BROKEN_STREAM = """
class Filter:
    def stream(self, event: dict) -> dict:
        raise RuntimeError("boom")
"""


async def test_stream_filters_change_and_drop_chunks(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    from tests.completions.test_chat import content_of, sse_chunks

    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        await install(client, ada["token"], "redact", REDACT)
        await install(client, ada["token"], "broken", BROKEN_STREAM)
        for model in ("fake-gpt", "fake-llama:latest"):
            reply = await client.post(
                "/api/chat/completions",
                headers=bearer(ada["token"]),
                json={"model": model, "messages": HI, "stream": True},
            )
            assert reply.status_code == 200
            frames = sse_chunks(reply.text)
            assert content_of(frames) == "Hello [redacted]!", model  # "," was dropped
            assert frames[-1] == "[DONE]"


STREAMING_MANIFOLD = """
class Pipe:
    def __init__(self):
        self.type = "manifold"

    def pipes(self):
        return [{"id": "echo", "name": " Echo"}, {"id": "shout", "name": " Shout"}]

    def pipe(self, body: dict, __user__: dict):
        text = body["messages"][-1]["content"]
        if body["model"].endswith("shout"):
            return text.upper() + "!"
        return (word + " " for word in ("echo:", text, "for", __user__["name"]))
"""

ASYNC_PIPE = """
class Pipe:
    async def pipe(self, body: dict):
        async def words():
            for word in ("a", "b"):
                yield word
        return words()
"""

FAILING_PIPE = """
class Pipe:
    def pipe(self, body: dict):
        raise ValueError("no upstream configured")
"""


async def test_pipes_are_models(make_client: MakeClient, gw: dict[str, object]) -> None:
    from tests.completions.test_chat import content_of, sse_chunks

    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "many", STREAMING_MANIFOLD, global_=False)
        await install(client, ada["token"], "alpha", ASYNC_PIPE, global_=False)
        await install(client, ada["token"], "broken", FAILING_PIPE, global_=False)
        listed = {
            m["id"]: m for m in (await client.get("/api/models", headers=headers)).json()["data"]
        }
        assert listed["many.echo"]["name"] == "many Echo" and listed["many.echo"]["pipe"] == {
            "type": "pipe"
        }
        assert {"many.shout", "alpha", "broken", "fake-gpt"} <= set(listed)

        said = {"role": "user", "content": "hello"}
        shout = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "many.shout", "messages": [said]},
        )
        assert shout.json()["choices"][0]["message"]["content"] == "HELLO!"
        echo = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "many.echo", "messages": [said], "stream": True},
        )
        frames = sse_chunks(echo.text)
        assert content_of(frames) == "echo: hello for Ada " and frames[-1] == "[DONE]"
        whole = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "alpha", "messages": [said]}
        )
        assert whole.json()["choices"][0]["message"]["content"] == "ab"
        failed = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "broken", "messages": [said]}
        )
        assert (
            failed.status_code == 400
            and failed.json()["detail"] == "Function broken: no upstream configured"
        )
        await client.post(
            "/api/v1/functions/id/alpha/toggle", headers=headers
        )  # off: gone from the list
        ids = {m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]}
        assert "alpha" not in ids


ECHO_ACTION = """
class Action:
    actions = [{"id": "loud", "name": "Loud"}, {"id": "quiet", "name": "Quiet"}]

    async def action(self, body: dict, __id__: str, __user__: dict, __event_emitter__=None):
        await __event_emitter__({"type": "status", "data": {"description": "working"}})
        last = body["messages"][-1]
        text = last["content"].upper() if __id__ == "loud" else last["content"].lower()
        return {"messages": [{**last, "content": text + " (" + __user__["name"] + ")"}]}
"""


async def test_actions_and_model_lists(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "echo", ECHO_ACTION, global_=False)
        await install(client, ada["token"], "toggled", TOGGLED)
        body = {
            "model": "fake-gpt",
            "messages": [{"id": "a1", "role": "assistant", "content": "Hello"}],
        }
        unavailable = await client.post("/api/chat/actions/echo.loud", headers=headers, json=body)
        assert (
            unavailable.status_code == 400
            and unavailable.json()["detail"] == "Action not available: echo.loud"
        )
        unknown = await client.post("/api/chat/actions/nope", headers=headers, json=body)
        assert unknown.json()["detail"] == "Action not found: nope"
        await client.post("/api/v1/functions/id/echo/toggle/global", headers=headers)
        loud = await client.post("/api/chat/actions/echo.loud", headers=headers, json=body)
        assert loud.status_code == 200, loud.text
        assert loud.json()["messages"][0]["content"] == "HELLO (Ada)"
        quiet = await client.post("/api/chat/actions/echo.quiet", headers=headers, json=body)
        assert quiet.json()["messages"][0]["content"] == "hello (Ada)"
        models = {
            m["id"]: m for m in (await client.get("/api/models", headers=headers)).json()["data"]
        }
        assert [a["id"] for a in models["fake-gpt"]["actions"]] == ["echo.loud", "echo.quiet"]
        assert [f["id"] for f in models["fake-gpt"]["filters"]] == ["toggled"]
