"""The gateway as a real `owlet serve` process, driven by the official `openai` client.

Streaming is checked here and not in-process: only a real socket shows whether frames are
relayed as they arrive, and whether a client that hangs up stops the upstream.
"""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests.fakes.upstream import FakeUpstream

HELLO = "Hello, world!"


def test_openai_client_lists_and_completes(gateway_server: tuple[str, str]) -> None:
    base, key = gateway_server
    client = openai.OpenAI(base_url=f"{base}/api", api_key=key)
    ids = {m.id for m in client.models.list()}
    assert {"fake-gpt", "fake-llama:latest"} <= ids
    for model in ("fake-gpt", "fake-llama:latest"):
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Why is the sky blue?"}]
        )
        assert reply.choices[0].message.content == HELLO
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert text == HELLO


def test_openai_client_sees_errors(gateway_server: tuple[str, str]) -> None:
    base, key = gateway_server
    client = openai.OpenAI(base_url=f"{base}/api", api_key=key, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert "Model not found" in str(caught.value)
    bad_key = openai.OpenAI(base_url=f"{base}/api", api_key="sk-" + "0" * 32, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.models.list()


def test_frames_are_relayed_as_they_arrive(
    gateway_server: tuple[str, str], openai_up: FakeUpstream
) -> None:
    base, key = gateway_server
    openai_up.token_delay = 0.3
    arrivals: list[float] = []
    with httpx.stream(
        "POST",
        f"{base}/api/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "fake-gpt", "messages": [{"role": "user", "content": "x"}], "stream": True},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and '"content":"' in line.replace(" ", ""):
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 4
    # Tokens leave the upstream 0.3 s apart; buffering would bunch them together at the end.
    assert arrivals[-1] - arrivals[1] >= 0.6


def test_client_disconnect_cancels_the_upstream(
    gateway_server: tuple[str, str], openai_up: FakeUpstream
) -> None:
    base, key = gateway_server
    openai_up.tokens = ["tick "] * 200
    openai_up.token_delay = 0.1
    with httpx.stream(
        "POST",
        f"{base}/api/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "fake-gpt", "messages": [{"role": "user", "content": "x"}], "stream": True},
        timeout=30,
    ) as response:
        for line in response.iter_lines():
            if "tick" in line:
                break  # hang up after the first token
    deadline = time.monotonic() + 15
    while openai_up.cancelled_streams < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert openai_up.cancelled_streams == 1
    assert openai_up.active_streams == 0


def test_seed_python_examples(gateway_server: tuple[str, str]) -> None:
    """Seed page 003's `requests` examples, as written but for the host and model name."""
    import requests

    base, key = gateway_server

    def chat_with_model(token: str) -> dict[str, object]:
        url = f"{base}/api/chat/completions"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        data = {
            "model": "fake-gpt",
            "messages": [{"role": "user", "content": "Why is the sky blue?"}],
        }
        response = requests.post(url, headers=headers, json=data)
        return response.json()  # type: ignore[no-any-return]

    def complete_chat_with_outlet(
        token: str, model: str, messages: list[dict[str, str]], chat_id: str | None = None
    ) -> dict[str, object]:
        url = f"{base}/api/chat/completed"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        payload: dict[str, object] = {"model": model, "messages": messages}
        if chat_id:
            payload["chat_id"] = chat_id
        response = requests.post(url, headers=headers, json=payload)
        return response.json()  # type: ignore[no-any-return]

    reply = chat_with_model(key)
    answer = reply["choices"][0]["message"]["content"]  # type: ignore[index]
    assert answer == HELLO
    messages = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": answer},
    ]
    done = complete_chat_with_outlet(key, "fake-gpt", messages, chat_id="optional-uuid")
    assert done["model"] == "fake-gpt" and done["messages"] == messages
    assert done["chat_id"] == "optional-uuid"
    models = requests.get(f"{base}/api/models", headers={"Authorization": f"Bearer {key}"})
    assert {m["id"] for m in models.json()["data"]} >= {"fake-gpt"}
