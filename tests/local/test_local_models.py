"""The bundled SmolLM2 answering through HTTP: `/api/chat/completions` (streamed and not),
the `/ollama` chat and generate routes, and the official `openai` and `ollama` clients."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

import httpx
import ollama
import openai
import pytest

from owlet.providers.answer import JsonBody
from owlet.providers.local.catalog import DEFAULT_ID, bundled_model
from owlet.providers.local.engine import LocalEngine
from tests.completions.test_chat import content_of, sse_chunks
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import owlet_process
from tests.support import PASSWORD, Backend, bearer, signup

HI = [{"role": "user", "content": "Say hello to Ada."}]
# SmolLM2's end-of-text tokens: banned, the model talks until max_tokens or it is stopped.
NO_EOS = {"0": -100, "1": -100, "2": -100}


def engine_of(client: httpx.AsyncClient) -> LocalEngine:
    engine = client.app.state.container.local  # type: ignore[attr-defined]
    assert isinstance(engine, LocalEngine)
    return engine


def test_the_default_model_ships_with_the_install() -> None:
    path = bundled_model()
    assert path is not None and path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.read_bytes()[:4] == b"GGUF"


async def test_lists_loads_lazily_and_answers(make_client: MakeClient) -> None:
    async with make_client(enable_local_models=True) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        engine = engine_of(client)
        listed = (await client.get("/api/models", headers=headers)).json()["data"]
        models = {m["id"]: m for m in listed}
        local = models[DEFAULT_ID]
        assert local["owned_by"] == "local" and local["connection_type"] == "local"
        assert engine.loaded() == []  # listed, not loaded

        whole = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": DEFAULT_ID, "messages": HI, "max_tokens": 12, "temperature": 0},
        )
        assert whole.status_code == 200, whole.text
        body = whole.json()
        assert body["object"] == "chat.completion" and body["model"] == DEFAULT_ID
        text = body["choices"][0]["message"]["content"]
        assert isinstance(text, str) and text.strip()  # real text from the model
        assert 0 < body["usage"]["completion_tokens"] <= 12
        assert body["choices"][0]["finish_reason"] in ("stop", "length")
        assert engine.loaded() == [DEFAULT_ID]

        streamed = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": DEFAULT_ID, "messages": HI, "max_tokens": 12, "stream": True},
        )
        frames = sse_chunks(streamed.text)
        assert frames[-1] == "[DONE]" and len(frames) > 3
        assert content_of(frames).strip()
        assert all(f["model"] == DEFAULT_ID for f in frames if isinstance(f, dict))


async def test_ollama_routes_answer_from_the_local_model(
    make_client: MakeClient, ollama_up: FakeUpstream
) -> None:
    ollama_on = {"enable_ollama_api": True, "ollama_base_urls": ollama_up.url}
    async with make_client(enable_local_models=True, **ollama_on) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        tags = (await client.get("/ollama/api/tags", headers=headers)).json()["models"]
        assert {t["name"] for t in tags} == {DEFAULT_ID, "fake-llama:latest"}
        options = {"num_predict": 8, "temperature": 0}
        chat = await client.post(
            "/ollama/api/chat",
            headers=headers,
            json={"model": DEFAULT_ID, "messages": HI, "stream": False, "options": options},
        )
        assert chat.status_code == 200, chat.text
        assert chat.json()["done"] is True and chat.json()["message"]["content"].strip()
        assert chat.json()["eval_count"] > 0
        generated = await client.post(
            "/ollama/api/generate",
            headers=headers,
            json={"model": DEFAULT_ID, "prompt": "Name a colour.", "options": options},
        )
        lines = [httpx.Response(200, content=line).json() for line in generated.text.splitlines()]
        assert lines[-1]["done"] is True and lines[-1]["done_reason"] in ("stop", "length")
        assert "".join(line["response"] for line in lines).strip()
        refused = await client.post(
            "/ollama/api/embed", headers=headers, json={"model": DEFAULT_ID, "input": "x"}
        )
        assert refused.status_code in (400, 404)
        long = [{"role": "user", "content": "lighthouse " * 5000}]
        cut = await client.post(
            "/ollama/api/chat", headers=headers, json={"model": DEFAULT_ID, "messages": long}
        )
        last = httpx.Response(200, content=cut.text.splitlines()[-1]).json()
        assert "context" in last["error"]


async def test_bad_requests_get_a_clear_answer(make_client: MakeClient) -> None:
    async with make_client(enable_local_models=True) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        image = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]
        for extra, detail in (
            ({"max_tokens": 0}, "max_tokens must be at least 1"),
            ({"temperature": "hot"}, "temperature has the wrong type"),
            ({"messages": [{"role": "user", "content": image}]}, "local models take text only"),
        ):
            reply = await client.post(
                "/api/chat/completions",
                headers=headers,
                json={"model": DEFAULT_ID, "messages": HI, **extra},
            )
            assert reply.status_code == 400, reply.text
            assert reply.json()["detail"] == detail
        assert engine_of(client).loaded() == []  # refused before any model was loaded
        # Longer than the model's context: a 400, or an `error` line once a stream is open.
        long = [{"role": "user", "content": "lighthouse " * 5000}]
        refused = await client.post(
            "/api/chat/completions", headers=headers, json={"model": DEFAULT_ID, "messages": long}
        )
        assert refused.status_code == 400 and "context" in refused.json()["detail"]


async def test_a_consumer_that_leaves_stops_the_generation(make_client: MakeClient) -> None:
    # One slot: the next request is answered only once the engine has stopped the first.
    async with make_client(enable_local_models=True, local_models_parallel=1) as client:
        engine = engine_of(client)
        body = {"messages": HI, "max_tokens": 4000, "logit_bias": NO_EOS}
        chunks = engine.chunks(DEFAULT_ID, body, "ada")
        received = [await chunks.__anext__() for _ in range(3)]
        assert len(received) == 3 and engine.active == 1
        await chunks.aclose()  # what a client's disconnect does to the stream
        assert engine.active == 0
        # 4000 tokens take about a minute here: the engine must have let go well before.
        answer = await asyncio.wait_for(
            engine.chat(DEFAULT_ID, {"messages": HI, "max_tokens": 4}, "bob"), 20
        )
        assert isinstance(answer, JsonBody) and answer.parsed()["usage"]["completion_tokens"] > 0


async def test_the_server_never_loads_llama_cpp(make_client: MakeClient) -> None:
    """Native inference runs only in the engine process: the API server answers a local
    chat without the native library in its own memory."""
    async with make_client(enable_local_models=True) as client:
        ada = await signup(client, "Ada")
        reply = await client.post(
            "/api/chat/completions",
            headers=bearer(ada["token"]),
            json={"model": DEFAULT_ID, "messages": HI, "max_tokens": 4},
        )
        assert reply.status_code == 200
        engine = engine_of(client).engine(DEFAULT_ID)
        assert engine is not None and engine.pid not in (None, os.getpid())
        assert "xllamacpp" not in sys.modules


async def test_user_models_and_the_switch(make_client: MakeClient, tmp_path: Path) -> None:
    bundled = bundled_model()
    assert bundled is not None
    folder = tmp_path / "data" / "models"
    folder.mkdir(parents=True)
    (folder / "My-Tiny.gguf").symlink_to(bundled)
    elsewhere = tmp_path / "elsewhere.gguf"
    shutil.copyfile(bundled, elsewhere)
    async with make_client(enable_local_models=True, local_model_paths=str(elsewhere)) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        ids = {m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]}
        assert {DEFAULT_ID, "my-tiny", "elsewhere"} <= ids
        reply = await client.post(
            "/api/chat/completions",
            headers=headers,
            json={"model": "my-tiny", "messages": HI, "max_tokens": 4},
        )
        assert reply.status_code == 200 and reply.json()["model"] == "my-tiny"
    async with make_client(enable_local_models=False) as client:
        signin = await client.post(
            "/api/v1/auths/signin", json={"email": "ada@example.com", "password": PASSWORD}
        )
        headers = bearer(signin.json()["token"])
        ids = {m["id"] for m in (await client.get("/api/models", headers=headers)).json()["data"]}
        assert DEFAULT_ID not in ids
        reply = await client.post(
            "/api/chat/completions", headers=headers, json={"model": DEFAULT_ID, "messages": HI}
        )
        assert reply.status_code in (400, 404)


@pytest.fixture
def local_server(backend: Backend, clean_db: object, tmp_path: Path):  # type: ignore[no-untyped-def]
    from tests.gateway import admin_key

    # One slot: a generation that is not stopped holds up the next request.
    env = {"ENABLE_LOCAL_MODELS": "true", "ENABLE_OLLAMA_API": "true", "OLLAMA_BASE_URLS": "",
           "LOCAL_MODELS_PARALLEL": "1"}  # fmt: skip
    with owlet_process(backend, tmp_path / "data", env) as base:
        yield base, admin_key(base)


def test_official_clients_on_a_real_server(local_server: tuple[str, str]) -> None:
    base, key = local_server
    client = openai.OpenAI(base_url=f"{base}/api", api_key=key, max_retries=0)
    assert DEFAULT_ID in {m.id for m in client.models.list()}
    reply = client.chat.completions.create(model=DEFAULT_ID, messages=HI, max_tokens=10)  # type: ignore[arg-type]
    assert (reply.choices[0].message.content or "").strip()
    stream = client.chat.completions.create(
        model=DEFAULT_ID,
        messages=HI,
        max_tokens=10,
        stream=True,  # type: ignore[arg-type]
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text.strip()
    native = ollama.Client(host=f"{base}/ollama", headers={"Authorization": f"Bearer {key}"})
    answer = native.chat(model=DEFAULT_ID, messages=HI, options={"num_predict": 8})
    assert answer.message.content and answer.done
    pieces = [p.response for p in native.generate(model=DEFAULT_ID, prompt="Hi", stream=True,
                                                   options={"num_predict": 8})]  # fmt: skip
    assert "".join(pieces).strip()


def test_a_client_that_hangs_up_frees_the_model(local_server: tuple[str, str]) -> None:
    """On a real server: a stream that would run for minutes, abandoned after three frames;
    the next request is answered at once instead of queueing behind it."""
    base, key = local_server
    headers = {"Authorization": f"Bearer {key}"}
    endless = {"model": DEFAULT_ID, "messages": HI, "max_tokens": 4000, "logit_bias": NO_EOS,
               "stream": True}  # fmt: skip
    with httpx.stream(
        "POST", f"{base}/api/chat/completions", headers=headers, json=endless, timeout=60
    ) as response:
        frames = 0
        for line in response.iter_lines():
            frames += line.startswith("data: {")
            if frames == 3:
                break  # hang up
    # 4000 tokens take about a minute here; the model must be free well before that.
    reply = httpx.post(
        f"{base}/api/chat/completions",
        headers=headers,
        json={"model": DEFAULT_ID, "messages": HI, "max_tokens": 4},
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()["usage"]["completion_tokens"] > 0


async def test_an_upstream_model_of_the_same_name_wins(make_client: MakeClient) -> None:
    with FakeUpstream(models=[DEFAULT_ID]) as node:
        settings = {"enable_ollama_api": True, "ollama_base_urls": node.url}
        async with make_client(enable_local_models=True, **settings) as client:
            ada = await signup(client, "Ada")
            listed = (await client.get("/api/models", headers=bearer(ada["token"]))).json()
            same = [m for m in listed["data"] if m["id"] == DEFAULT_ID]
            assert [m["owned_by"] for m in same] == ["ollama"]


def test_a_whole_answer_stops_when_its_client_leaves(local_server: tuple[str, str]) -> None:
    """Not streamed: the client times out after a second; the generation (minutes of it)
    stops, and the next request is answered at once instead of queueing behind it. (The
    `/ollama` routes use the same `unless_gone`; Ollama's options cannot ban end-of-text,
    so a test there could not make the generation long.)"""
    path = "/api/chat/completions"
    base, key = local_server
    headers = {"Authorization": f"Bearer {key}"}
    endless = {"model": DEFAULT_ID, "messages": HI, "stream": False, "max_tokens": 4000,
               "logit_bias": NO_EOS}  # fmt: skip
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}{path}", headers=headers, json=endless, timeout=1.0)
    reply = httpx.post(
        f"{base}/api/chat/completions",
        headers=headers,
        json={"model": DEFAULT_ID, "messages": HI, "max_tokens": 4},
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()["usage"]["completion_tokens"] > 0


async def test_a_crash_is_logged_once_with_its_signal(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(enable_local_models=True) as client:
        engine = engine_of(client)
        await engine.chat(DEFAULT_ID, {"messages": HI, "max_tokens": 2}, "ada")
        process = engine.engine(DEFAULT_ID)
        assert process is not None and process.pid is not None
        with caplog.at_level(logging.ERROR, logger="owlet.providers.local.supervisor"):
            os.kill(process.pid, signal.SIGSEGV)
            for _ in range(100):
                if not process.running:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
        crashes = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(crashes) == 1 and "signal SIGSEGV" in crashes[0], crashes
        assert engine.loaded() == []
        answer = await engine.chat(DEFAULT_ID, {"messages": HI, "max_tokens": 2}, "ada")
        assert isinstance(answer, JsonBody) and process.starts == 2
