"""Outlet filters: on /api/chat/completed (the seed's way), inline for API callers when
ENABLE_API_OUTLET_FILTERS is on (then not a second time on /completed), and failing hooks."""

from __future__ import annotations

import pytest

from tests.completions.test_chat import content_of, sse_chunks
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.functions.test_filters import FOOTER, HI, install
from tests.gateway import gateway_settings
from tests.support import bearer, signup

HELLO = "Hello, world!"
SIGNED = HELLO + "\n\n-- checked for Ada"

COUNTING_FOOTER = """
class Filter:
    def __init__(self):
        self.runs = 0

    async def outlet(self, body: dict, __user__: dict, __metadata__: dict) -> dict:
        self.runs += 1
        last = body["messages"][-1]
        last["content"] += "\\n\\n-- checked for " + __user__["name"]
        last["runs"] = self.runs
        return body
"""

FAILING_OUTLET = """
class Filter:
    def outlet(self, body: dict) -> dict:
        raise ValueError("outlet is broken")
"""

FAILING_ACTION = """
class Action:
    async def action(self, body: dict):
        raise RuntimeError("the action failed")
"""


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


def test_the_seed_completed_example_as_written(gateway_server: tuple[str, str]) -> None:
    """Seed page 003, "Triggering Outlet Processing": the Python example, with `requests`,
    against a real server running an outlet filter."""
    import requests

    base, key = gateway_server
    made = requests.post(
        f"{base}/api/v1/functions/create",
        headers={"Authorization": f"Bearer {key}"},
        json={"id": "footer", "name": "Footer", "content": FOOTER, "meta": {}},
    )
    assert made.status_code == 200, made.text
    for path in ("toggle", "toggle/global"):
        requests.post(
            f"{base}/api/v1/functions/id/footer/{path}", headers={"Authorization": f"Bearer {key}"}
        ).raise_for_status()

    def complete_chat_with_outlet(token, model, messages, chat_id=None):  # type: ignore[no-untyped-def]
        url = f"{base}/api/chat/completed"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        payload = {"model": model, "messages": messages}
        if chat_id:
            payload["chat_id"] = chat_id

        response = requests.post(url, headers=headers, json=payload)
        return response.json()

    chat = requests.post(
        f"{base}/api/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "fake-gpt", "messages": HI},
    ).json()
    answer = chat["choices"][0]["message"]["content"]
    assert answer == HELLO  # a direct API request runs no outlet
    messages = [*HI, {"role": "assistant", "content": answer}]
    done = complete_chat_with_outlet(key, "fake-gpt", messages, chat_id="optional-uuid")
    assert done["messages"][-1]["content"] == SIGNED
    assert done["chat_id"] == "optional-uuid" and done["model"] == "fake-gpt"


async def test_inline_outlets_for_api_callers_run_once(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw, enable_api_outlet_filters=True) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "footer", COUNTING_FOOTER)

        # A whole completion: the outlet's rewrite is the answer.
        whole = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "fake-gpt", "messages": HI}
        )
        assert whole.status_code == 200, whole.text
        answer = whole.json()["choices"][0]["message"]["content"]
        assert answer == SIGNED
        # The client follows the seed and calls /completed: the outlet does not run again.
        again = {"model": "fake-gpt", "messages": [*HI, {"role": "assistant", "content": answer}]}
        done = await client.post("/api/chat/completed", headers=headers, json=again)
        assert done.status_code == 200
        assert done.json()["messages"][-1] == {"role": "assistant", "content": SIGNED}

        # A stream: the text already sent stays; the outlet runs once it ends.
        stream = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "fake-gpt", "messages": HI, "stream": True},
        )
        frames = sse_chunks(stream.text)
        assert content_of(frames) == HELLO and frames[-1] == "[DONE]"
        streamed = {"model": "fake-gpt", "messages": [*HI, {"role": "assistant", "content": HELLO}]}
        done = await client.post("/api/chat/completed", headers=headers, json=streamed)
        assert done.json()["messages"][-1]["content"] == HELLO  # already ran: not again

        # An answer whose outlets never ran still gets them on /completed (run 3: the two
        # completions above each ran it once).
        other = {"model": "fake-gpt", "messages": [*HI, {"role": "assistant", "content": "Bye"}]}
        done = await client.post("/api/chat/completed", headers=headers, json=other)
        last = done.json()["messages"][-1]
        assert last["content"] == "Bye\n\n-- checked for Ada" and last["runs"] == 3


async def test_inline_outlets_rewrite_a_recorded_chat(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw, enable_api_outlet_filters=True) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "footer", COUNTING_FOOTER)
        for stream in (False, True):
            reply = await client.post(
                "/api/chat/completions",
                headers=headers,
                json={"model": "fake-gpt", "messages": HI, "parent_id": None, "stream": stream},
            )
            assert reply.status_code == 200, reply.text
            chat = await client.get(f"/api/v1/chats/{reply.headers['X-Chat-Id']}", headers=headers)
            history = chat.json()["chat"]["history"]
            stored = history["messages"][history["currentId"]]
            assert stored["content"] == SIGNED and stored["done"] is True
            assert stored["originalContent"] == HELLO
            # /completed for that message id does not run the outlet again.
            message = {"id": stored["id"], "role": "assistant", "content": "changed by the client"}
            body = {"model": "fake-gpt", "messages": [message], "id": stored["id"]}
            done = await client.post("/api/chat/completed", headers=headers, json=body)
            assert done.json()["messages"][-1]["content"] == "changed by the client"
            # Another message with the same text is another answer: its outlets run.
            twin = {"id": "twin", "role": "assistant", "content": SIGNED}
            body = {"model": "fake-gpt", "messages": [twin], "id": "twin"}
            done = await client.post("/api/chat/completed", headers=headers, json=body)
            assert done.json()["messages"][-1]["content"].endswith("-- checked for Ada")
            assert done.json()["messages"][-1]["content"] != SIGNED


async def test_failures_in_each_hook(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    """Inlet, stream and pipe failures are in test_filters.py; here: outlets and actions."""
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "bad_outlet", FAILING_OUTLET)
        await install(client, ada["token"], "bad_action", FAILING_ACTION)
        body = {"model": "fake-gpt", "messages": [*HI, {"role": "assistant", "content": "x"}]}
        failed = await client.post("/api/chat/completed", headers=headers, json=body)
        assert failed.status_code == 400
        assert failed.json() == {"detail": "Function bad_outlet: outlet is broken"}
        acted = await client.post("/api/chat/actions/bad_action", headers=headers, json=body)
        assert acted.status_code == 400
        assert acted.json() == {"detail": "Function bad_action: the action failed"}
        # The server is fine afterwards.
        ok = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "fake-gpt", "messages": HI}
        )
        assert ok.status_code == 200


async def test_an_inline_outlet_failure(make_client: MakeClient, gw: dict[str, object]) -> None:
    """On a whole completion it is the caller's 400; after a stream the answer stands."""
    async with make_client(**gw, enable_api_outlet_filters=True) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        await install(client, ada["token"], "bad_outlet", FAILING_OUTLET)
        whole = await client.post(
            "/api/chat/completions", headers=headers, json={"model": "fake-gpt", "messages": HI}
        )
        assert whole.status_code == 400
        assert whole.json() == {"detail": "Function bad_outlet: outlet is broken"}
        stream = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "fake-gpt", "messages": HI, "stream": True, "parent_id": None},
        )
        frames = sse_chunks(stream.text)
        assert content_of(frames) == HELLO and frames[-1] == "[DONE]"
        chat = await client.get(f"/api/v1/chats/{stream.headers['X-Chat-Id']}", headers=headers)
        history = chat.json()["chat"]["history"]
        stored = history["messages"][history["currentId"]]
        assert stored["content"] == HELLO and "originalContent" not in stored
