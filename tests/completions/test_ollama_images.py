"""Image URLs sent to an Ollama model: fetched through the egress guard and inlined as base64
(Ollama takes bytes only); a private address is refused unless ENABLE_LOCAL_URL_FETCH."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import bearer, signup

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
        body, kind = (PNG, "image/png") if self.path == "/cat.png" else (b"<p>hi</p>", "text/html")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def images() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _ask(*urls: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"type": "text", "text": "What is in the picture?"}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return {"model": "fake-llama:latest", "messages": [{"role": "user", "content": parts}]}


async def test_an_image_url_reaches_ollama_as_base64(
    make_client: MakeClient, openai_up: FakeUpstream, ollama_up: FakeUpstream, images: str
) -> None:
    settings = {**gateway_settings(openai_up, ollama_up), "enable_local_url_fetch": True}
    async with make_client(**settings) as client:
        ada = await signup(client, "Ada")
        inline = "data:image/png;base64," + base64.b64encode(b"tiny").decode()
        reply = await client.post("/api/chat/completions", headers=bearer(ada["token"]),
                                  json=_ask(f"{images}/cat.png", inline))  # fmt: skip
        assert reply.status_code == 200, reply.text
        (sent,) = ollama_up.requests_to("/api/chat")
        message = sent.json["messages"][0]
        assert message["content"] == "What is in the picture?"
        assert message["images"] == [
            base64.b64encode(PNG).decode(),
            base64.b64encode(b"tiny").decode(),
        ]

        page = await client.post("/api/chat/completions", headers=bearer(ada["token"]),
                                 json=_ask(f"{images}/page.html"))  # fmt: skip
        assert page.status_code == 400 and "is not an image" in page.json()["detail"]
        assert len(ollama_up.requests_to("/api/chat")) == 1  # refused before the upstream


async def test_a_private_image_url_is_refused_by_default(
    make_client: MakeClient, openai_up: FakeUpstream, ollama_up: FakeUpstream, images: str
) -> None:
    async with make_client(**gateway_settings(openai_up, ollama_up)) as client:
        ada = await signup(client, "Ada")
        for url in (f"{images}/cat.png", "http://169.254.169.254/latest/meta-data/"):
            reply = await client.post(
                "/api/chat/completions", headers=bearer(ada["token"]),
                json={**_ask(url), "stream": True},
            )  # fmt: skip
            assert reply.status_code == 400, reply.text
            assert isinstance(reply.json()["detail"], str)
        assert ollama_up.requests_to("/api/chat") == []
