"""`/ollama/*` through HTTP: routing to nodes, admin-only routes, the official client, the seed."""

from __future__ import annotations

import json
import shutil
import subprocess

import ollama
import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

HELLO = "Hello, world!"
LLAMA = "fake-llama:latest"


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


def test_official_ollama_client(gateway_server: tuple[str, str]) -> None:
    base, key = gateway_server
    client = ollama.Client(host=f"{base}/ollama", headers={"Authorization": f"Bearer {key}"})
    names = [m.model for m in client.list().models]
    assert names == [LLAMA]
    text = "".join(
        part.response for part in client.generate(model=LLAMA, prompt="Why?", stream=True)
    )
    assert text == HELLO
    reply = client.chat(model=LLAMA, messages=[{"role": "user", "content": "hi"}])
    assert reply.message.content == HELLO
    streamed = "".join(
        part.message.content or ""
        for part in client.chat(
            model=LLAMA, messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert streamed == HELLO
    vectors = client.embed(model=LLAMA, input=["Open WebUI is great!", "Let's embed."]).embeddings
    assert len(vectors) == 2 and len(vectors[0]) == 8


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_curl_examples(gateway_server: tuple[str, str]) -> None:
    """Seed page 003's three curl examples, as written, with the model name adapted."""
    base, key = gateway_server
    auth = f"Authorization: Bearer {key}"
    generate = subprocess.run(
        ["curl", "-s", f"{base}/ollama/api/generate", "-H", auth,
         "-H", "Content-Type: application/json",
         "-d", json.dumps({"model": LLAMA, "prompt": "Why is the sky blue?"})],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = [json.loads(line) for line in generate.stdout.splitlines() if line.strip()]
    assert "".join(line["response"] for line in lines) == HELLO and lines[-1]["done"] is True
    tags = subprocess.run(
        ["curl", "-s", f"{base}/ollama/api/tags", "-H", auth],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [m["model"] for m in json.loads(tags.stdout)["models"]] == [LLAMA]
    embed = subprocess.run(
        ["curl", "-s", "-X", "POST", f"{base}/ollama/api/embed", "-H", auth,
         "-H", "Content-Type: application/json",
         "-d", json.dumps({"model": LLAMA,
                           "input": ["Open WebUI is great!", "Let's generate embeddings."]})],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert len(json.loads(embed.stdout)["embeddings"]) == 2


async def test_routing_rules_and_roles(
    make_client: MakeClient, gw: dict[str, object], ollama_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        bob = await add_user(client, admin["token"], "Bob")
        assert (await client.get("/ollama/")).json() == {"status": True}
        version = await client.get("/ollama/api/version", headers=headers)
        assert version.json() == {"version": "0.9.0"}
        unknown = await client.post(
            "/ollama/api/generate", headers=headers, json={"model": "nope", "prompt": "x"}
        )
        assert unknown.status_code == 400
        assert unknown.json()["detail"] == "Model 'nope' was not found"
        # A user may not use (or list) a model nobody shared with them.
        assert (await client.get("/ollama/api/tags", headers=bearer(bob["token"]))).json() == {
            "models": []
        }
        hidden = await client.post(
            "/ollama/api/generate",
            headers=bearer(bob["token"]),
            json={"model": LLAMA, "prompt": "x", "stream": False},
        )
        assert hidden.status_code == 403
        # Admin-only model management.
        for method, path, body in (
            ("POST", "/ollama/api/pull", {"model": "new:latest"}),
            ("POST", "/ollama/api/copy", {"source": LLAMA, "destination": "copy:latest"}),
            ("DELETE", "/ollama/api/delete", {"model": LLAMA}),
            ("GET", "/ollama/api/ps", None),
        ):
            denied = await client.request(method, path, headers=bearer(bob["token"]), json=body)
            assert denied.status_code == 403, path
        pulled = await client.post(
            "/ollama/api/pull", headers=headers, json={"model": "new:latest", "stream": False}
        )
        assert pulled.status_code == 200
        assert ollama_up.requests_to("/api/pull")[-1].json["insecure"] is True
        copied = await client.post(
            "/ollama/api/copy",
            headers=headers,
            json={"source": LLAMA, "destination": "copy:latest"},
        )
        assert copied.json() is True
        non_stream = await client.post(
            "/ollama/api/generate/0",
            headers=headers,
            json={"model": LLAMA, "prompt": "x", "stream": False},
        )
        assert non_stream.json()["response"] == HELLO
        bad_messages = await client.post(
            "/ollama/api/chat",
            headers=headers,
            json={"model": LLAMA, "messages": [{"role": "user"}]},
        )
        assert bad_messages.status_code == 400  # as Open WebUI
        v1 = await client.post(
            "/ollama/v1/chat/completions",
            headers=headers,
            json={"model": LLAMA, "messages": [{"role": "user", "content": "hi"}]},
        )
        assert v1.json()["choices"][0]["message"]["content"] == HELLO
        models = (await client.get("/ollama/v1/models", headers=headers)).json()
        assert models["object"] == "list" and models["data"][0]["id"] in (LLAMA, "copy:latest")


async def test_disabled_ollama(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**{**gw, "enable_ollama_api": False}) as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        assert (await client.get("/ollama/api/version", headers=headers)).json() == {
            "version": False
        }
        assert (await client.get("/ollama/api/ps", headers=headers)).json() == {"models": []}
        disabled = await client.get(
            "/ollama/api/tags", headers=headers, extensions={"allow_5xx": True}
        )
        assert disabled.status_code == 503 and "disabled" in disabled.json()["detail"]
