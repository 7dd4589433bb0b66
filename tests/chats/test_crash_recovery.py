"""A real `owlet serve` killed with SIGKILL mid-answer and started again on the same data:
the recorded answer keeps its last checkpoint, is closed with an error, and the chat opens."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from owlet.chats.recovery import INTERRUPTED
from tests.chats.test_recorded_completions import counting_request
from tests.fakes.upstream import FakeUpstream
from tests.gateway import admin_key, as_env, gateway_settings, owlet_server
from tests.support import Backend

TIMEOUT = 2  # AIOHTTP_CLIENT_TIMEOUT: the recovery lease is this plus two checkpoints


def _answer(base: str, headers: dict[str, str], chat_id: str) -> dict[str, Any]:
    saved = httpx.get(f"{base}/api/v1/chats/{chat_id}", headers=headers, timeout=10)
    assert saved.status_code == 200, saved.text  # the chat opens
    messages: dict[str, Any] = saved.json()["chat"]["history"]["messages"]
    return messages


def _wait_for(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _listen(base: str, headers: dict[str, str], body: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            with httpx.stream(
                "POST", f"{base}/api/chat/completions", headers=headers, json=body, timeout=60
            ) as response:
                for _ in response.iter_lines():
                    pass
        except httpx.HTTPError:
            pass  # the server was killed under it

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_killed_server_keeps_the_checkpoint_and_closes_the_answer(
    backend: Backend,
    clean_db: object,
    tmp_path: Path,
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
) -> None:
    openai_up.tokens = [f"t{i} " for i in range(300)]
    openai_up.token_delay = 0.1  # a 30 s answer: long enough to be killed in the middle
    full = openai_up.reply_text
    env = as_env({**gateway_settings(openai_up, ollama_up), "aiohttp_client_timeout": TIMEOUT})
    data_dir = tmp_path / "data"
    with owlet_server(backend, data_dir, env) as (base, proc):
        headers = {"Authorization": f"Bearer {admin_key(base)}"}
        made, body = counting_request(base, headers)
        listener = _listen(base, headers, body)
        # Wait for a checkpoint (the recorder saves every few seconds, never per token).
        checkpoint = _wait_for(
            lambda: _answer(base, headers, made["id"]).get("a1", {}).get("content"), 20
        )
        assert checkpoint and full.startswith(checkpoint)
        assert _answer(base, headers, made["id"])["a1"]["done"] is False
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        listener.join(timeout=10)
    with owlet_server(backend, data_dir, env) as (base, _proc):
        messages = _wait_for(
            lambda: (m := _answer(base, headers, made["id"]))["a1"]["done"] and m, 30
        )
        assert messages, "the interrupted answer was never closed"
        answer = messages["a1"]
        assert answer["content"].startswith(checkpoint) and full.startswith(answer["content"])
        assert answer["content"] != full
        assert answer["error"] == {"content": INTERRUPTED}
        assert messages["u1"]["content"] == "count"  # the question is kept
        # The server is healthy: a new answer in the same chat completes.
        openai_up.tokens, openai_up.token_delay = ["Hello", "!"], 0.0
        again = httpx.post(
            f"{base}/api/chat/completions",
            headers=headers,
            json={**body, "stream": False, "id": "a2", "user_message": {
                **body["user_message"], "id": "u2", "parentId": "a1"}},
            timeout=30,
        )  # fmt: skip
        assert again.status_code == 200, again.text
        assert _answer(base, headers, made["id"])["a2"]["content"] == "Hello!"
