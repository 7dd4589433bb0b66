"""A web page attached to a chat, as the 0.12.4 web client sends it: a `text` item that carries
the page's text (`context: "full"`), or names the page's own collection from `process/web`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.pages import Page, PageServer
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

PAGE = b"""<html><body><h1>Tide tables</h1><p>At Leith the spring tide rises 5.6 metres,
the neap tide about 4.1 metres.</p></body></html>"""


@pytest.fixture
def site() -> Iterator[PageServer]:
    with PageServer({"/tides.html": Page(PAGE)}) as server:
        yield server


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, Any]:
    return {**gateway_settings(openai_up, ollama_up), "enable_local_url_fetch": True}


async def ask(client: httpx.AsyncClient, token: str, item: dict[str, Any]) -> httpx.Response:
    body = {
        "model": "fake-gpt",
        "messages": [{"role": "user", "content": "How high is the spring tide?"}],
        "files": [item],
    }
    return await client.post("/api/chat/completions", headers=bearer(token), json=body)


def prompt_of(up: FakeUpstream) -> str:
    content: str = up.requests_to("/v1/chat/completions")[-1].json["messages"][-1]["content"]
    return content


async def test_an_attached_page_is_the_context(
    make_client: MakeClient, gw: dict[str, Any], openai_up: FakeUpstream, site: PageServer
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        everyone = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
        await client.post("/api/v1/models/model/access/update", headers=bearer(ada["token"]),
                          json={"id": "fake-gpt", "access_grants": everyone})  # fmt: skip
        url = f"{site.url}/tides.html"
        page = await client.post(
            "/api/v1/retrieval/process/web", headers=bearer(uma["token"]), json={"url": url}
        )
        assert page.status_code == 200, page.text
        fetched = page.json()
        text = fetched["file"]["data"]["content"]
        file = {"data": {"content": text}, "meta": {"name": url, "source": url}}
        item = {"type": "text", "name": url, "url": url, "status": "uploaded",
                "collection_name": fetched["collection_name"], "context": "full",
                "file": file}  # fmt: skip

        # The whole text, as the client sent it (`context: "full"`).
        reply = await ask(client, uma["token"], item)
        assert reply.status_code == 200, reply.text
        source = reply.json()["sources"][0]
        assert source["document"] == [text]
        assert source["metadata"] == [{"name": url, "source": url}]
        assert "data" not in source["source"]["file"]  # the text is not sent back
        assert f'<source id="1" name="{url}">' in prompt_of(openai_up)
        assert "spring tide rises 5.6 metres" in prompt_of(openai_up)

        # Searched in the page's own collection: anyone naming the URL may, as anyone could
        # fetch it; another user here.
        searched = {**item, "context": None, "file": None}
        reply = await ask(client, ada["token"], searched)
        assert reply.status_code == 200, reply.text
        assert "5.6 metres" in reply.json()["sources"][0]["document"][0]
        assert "spring tide rises 5.6 metres" in prompt_of(openai_up)

        # A collection that is not that URL's follows the collection rules: a knowledge base
        # Uma cannot read is a 404, and the model is never asked.
        kb = await client.post("/api/v1/knowledge/create", headers=bearer(ada["token"]),
                               json={"name": "Private", "description": ""})  # fmt: skip
        calls = len(openai_up.requests_to("/v1/chat/completions"))
        for name in (kb.json()["id"], "made-up-collection"):
            refused = await ask(client, uma["token"], {**searched, "collection_name": name})
            assert refused.status_code == 404, refused.text
        assert len(openai_up.requests_to("/v1/chat/completions")) == calls

        # Only text, no collection: the text is the source.
        bare = {"type": "text", "name": "notes", "content": "The neap tide is 4.1 metres."}
        reply = await ask(client, uma["token"], bare)
        assert reply.json()["sources"][0]["document"] == ["The neap tide is 4.1 metres."]
