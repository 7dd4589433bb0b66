"""The engine process on a real `owlet serve`: killed mid-stream and mid-answer (a clear
error, a healthy server, a restarted engine for the next request), four requests answered
together, a model that cannot load, and no engine outliving its server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from owlet.providers.local.catalog import DEFAULT_ID
from owlet.providers.local.supervisor import backoff, describe_exit
from tests.gateway import admin_key, alive, children, owlet_server
from tests.support import Backend

HI = [{"role": "user", "content": "Tell me about lighthouses."}]
NO_EOS = {"0": -100, "1": -100, "2": -100}  # SmolLM2 talks until max_tokens
ENDLESS = {"model": DEFAULT_ID, "messages": HI, "max_tokens": 4000, "logit_bias": NO_EOS}


class Server:
    def __init__(self, base: str, proc: subprocess.Popen[bytes], key: str) -> None:
        self.base, self.proc = base, proc
        self.headers = {"Authorization": f"Bearer {key}"}

    def post(self, body: dict, timeout: float = 60) -> httpx.Response:  # type: ignore[type-arg]
        return httpx.post(
            f"{self.base}/api/chat/completions", headers=self.headers, json=body, timeout=timeout
        )

    def engines(self, count: int = 1) -> list[int]:
        """The engine processes, once `count` of them run (they start on first use)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [pid for pid in children(self.proc.pid) if alive(pid)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} engine process(es) did not start")

    def healthy(self) -> None:
        assert httpx.get(f"{self.base}/health", timeout=5).json() == {"status": True}


@pytest.fixture
def server(backend: Backend, clean_db: object, tmp_path: Path) -> Iterator[Server]:
    env = {"ENABLE_LOCAL_MODELS": "true", "LOCAL_MODELS_PARALLEL": "4",
           "GLOBAL_LOG_LEVEL": "INFO"}  # fmt: skip
    with owlet_server(backend, tmp_path / "data", env) as (base, proc):
        yield Server(base, proc, admin_key(base))


def stream_lines(server: Server, body: dict, on_frame=None) -> list[str]:  # type: ignore[no-untyped-def, type-arg]
    lines = []
    with httpx.stream(
        "POST",
        f"{server.base}/api/chat/completions",
        headers=server.headers,
        json={**body, "stream": True},
        timeout=60,
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                lines.append(line[6:])
                if on_frame is not None:
                    on_frame(len(lines))
    return lines


def test_an_engine_killed_mid_stream(server: Server) -> None:
    killed: list[int] = []

    def kill_at_third_frame(frames: int) -> None:
        if frames == 3 and not killed:
            (pid,) = server.engines()
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    lines = stream_lines(server, ENDLESS, kill_at_third_frame)
    assert killed and lines[-1] == "[DONE]"
    error = json.loads(lines[-2])["error"]
    assert "stopped (signal SIGKILL)" in error["message"] and DEFAULT_ID in error["message"]
    assert not alive(killed[0])
    server.healthy()
    # The next request starts a new engine and is answered.
    reply = server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 4})
    assert reply.status_code == 200, reply.text
    assert reply.json()["usage"]["completion_tokens"] > 0
    assert server.engines() != killed


def test_an_engine_killed_mid_answer(server: Server) -> None:
    warm = server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 2})
    assert warm.status_code == 200
    (pid,) = server.engines()
    answers: list[httpx.Response] = []
    asking = threading.Thread(target=lambda: answers.append(server.post(ENDLESS)))
    asking.start()
    time.sleep(1.0)  # well into 4000 tokens
    os.kill(pid, signal.SIGKILL)
    asking.join(30)
    (reply,) = answers
    assert reply.status_code == 502
    assert "stopped (signal SIGKILL)" in reply.json()["detail"]
    server.healthy()
    again = server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 4})
    assert again.status_code == 200, again.text
    assert server.engines() != [pid]


def test_four_requests_are_answered_together(server: Server) -> None:
    """Every stream's first token comes before any stream ends: the engine batches them
    (one at a time, the fourth would start only after three whole answers)."""
    server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 2})  # load the model
    first: list[float] = []
    ended: list[float] = []
    texts: list[str] = []

    def ask(n: int) -> None:
        body = {**ENDLESS, "max_tokens": 150,
                "messages": [{"role": "user", "content": f"Count to {n + 20}."}]}  # fmt: skip
        lines = stream_lines(server, body, lambda f: f == 2 and first.append(time.monotonic()))
        ended.append(time.monotonic())
        texts.append("".join(
            (c["choices"] or [{}])[0].get("delta", {}).get("content") or ""
            for c in map(json.loads, lines[:-1])
        ))  # fmt: skip

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(first) == 4 and len(ended) == 4
    assert max(first) < min(ended)
    assert all(text.strip() for text in texts)


def test_a_model_that_cannot_load(backend: Backend, clean_db: object, tmp_path: Path) -> None:
    models = tmp_path / "data" / "models"
    models.mkdir(parents=True)
    (models / "broken.gguf").write_bytes(b"GGUF" + os.urandom(2000))
    with owlet_server(backend, tmp_path / "data", {"ENABLE_LOCAL_MODELS": "true"}) as (
        base,
        proc,
    ):
        server = Server(base, proc, admin_key(base))
        reply = server.post({"model": "broken", "messages": HI})
        assert reply.status_code == 503, reply.text
        assert reply.json()["detail"] == "Cannot load broken: llama.cpp cannot read broken.gguf"
        server.healthy()
        good = server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 2})
        assert good.status_code == 200


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_no_engine_outlives_its_server(
    backend: Backend, clean_db: object, tmp_path: Path, how: signal.Signals
) -> None:
    with owlet_server(backend, tmp_path / "data", {"ENABLE_LOCAL_MODELS": "true"}) as (
        base,
        proc,
    ):
        server = Server(base, proc, admin_key(base))
        assert children(proc.pid) == []  # lazy: no engine before the first request
        assert server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 2}).is_success
        (engine,) = server.engines()
        proc.send_signal(how)
        proc.wait(15)
        deadline = time.monotonic() + 15
        while alive(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(engine), f"the engine outlived a server stopped by {how.name}"


def test_local_models_off_start_no_engine(
    backend: Backend, clean_db: object, tmp_path: Path
) -> None:
    with owlet_server(backend, tmp_path / "data", {"ENABLE_LOCAL_MODELS": "false"}) as (
        base,
        proc,
    ):
        server = Server(base, proc, admin_key(base))
        reply = server.post({"model": DEFAULT_ID, "messages": HI, "max_tokens": 2})
        assert reply.status_code in (400, 404)
        assert children(proc.pid) == []


def test_backoff_and_exit_names() -> None:
    assert [backoff(n) for n in (0, 1, 2, 3, 4, 10)] == [0, 0, 1, 2, 4, 30]
    assert describe_exit(-signal.SIGSEGV) == "signal SIGSEGV"
    assert describe_exit(3) == "exit status 3"
