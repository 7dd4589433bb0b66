"""`POST /api/v1/retrieval/process/web`: a page fetched through the egress guard from a real
local server, its text indexed and found by a query; private addresses refused by default."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.pages import Page, PageServer
from tests.support import add_user, bearer, signup

ARTICLE = b"""<!doctype html><html><head><title>The Bell Rock Lighthouse</title>
<style>body { color: #123; }</style><script>var secret = "xyzzy-tracker";</script></head>
<body><nav>Home | About</nav><h1>The Bell Rock Lighthouse</h1>
<p>The Bell Rock Lighthouse stands on a reef off the coast of Angus, Scotland. Built between
1807 and 1810 by Robert Stevenson, it is the world's oldest surviving sea-washed lighthouse.</p>
<p>Its keepers tended the lamp&nbsp;every night &amp; kept a log of passing ships.</p>
<noscript>Please enable JavaScript</noscript></body></html>"""
NOTES = "Sourdough needs a starter of flour and water, fed daily and kept at room temperature."
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def site() -> Iterator[PageServer]:
    pages = {
        "/lighthouse.html": Page(ARTICLE),
        "/moved": Page(location="/lighthouse.html"),
        "/notes.txt": Page(NOTES.encode(), "text/plain; charset=utf-8"),
        "/cat.png": Page(PNG, "image/png"),
        "/blank.html": Page(b"<html><script>only()</script></html>"),
    }
    with PageServer(pages) as server:
        yield server


async def process(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], **params: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/retrieval/process/web", headers=bearer(token), json=body, params=params
    )


async def documents(client: httpx.AsyncClient, token: str, name: str, query: str) -> list[str]:
    found = await client.post(
        "/api/v1/retrieval/query/collection",
        headers=bearer(token),
        json={"collection_names": [name], "query": query, "k": 10},
    )
    assert found.status_code == 200, found.text
    return list(found.json()["documents"][0])


async def test_a_page_is_fetched_indexed_and_found(
    make_client: MakeClient, site: PageServer
) -> None:
    async with make_client(enable_local_url_fetch=True) as client:
        ada = await signup(client, "Ada")  # the first account: admin, may query any collection
        url = f"{site.url}/lighthouse.html"
        made = await process(client, ada["token"], {"url": url})
        assert made.status_code == 200, made.text
        body = made.json()
        name = hashlib.sha256(url.encode()).hexdigest()[:63]
        content = body["file"]["data"]["content"]
        assert body == {
            "status": True,
            "collection_name": name,
            "filename": url,
            "file": {"data": {"content": content}, "meta": {"name": url, "source": url}},
        }
        assert "world's oldest surviving sea-washed lighthouse" in content
        assert "tended the lamp every night & kept a log" in content  # entities decoded
        assert content.startswith("The Bell Rock Lighthouse\n")  # the title, on its own line
        for hidden in ("xyzzy", "color:", "<p>", "JavaScript"):
            assert hidden not in content, hidden

        found = await client.post(
            "/api/v1/retrieval/query/collection",
            headers=bearer(ada["token"]),
            json={"collection_names": [name], "query": "Who built the oldest lighthouse?"},
        )
        assert found.status_code == 200, found.text
        assert "Robert Stevenson" in found.json()["documents"][0][0]
        meta = found.json()["metadatas"][0][0]
        assert (meta["source"], meta["name"]) == (url, url)

        # A redirect is followed (each hop checked); plain text is kept as it is.
        moved = await process(client, ada["token"], {"url": f"{site.url}/moved"})
        assert moved.status_code == 200, moved.text
        assert moved.json()["file"]["data"]["content"] == content
        notes = await process(client, ada["token"], {"url": f"{site.url}/notes.txt"},
                              process="false")  # fmt: skip
        assert notes.json() == {"status": True, "content": NOTES}
        notes_name = hashlib.sha256(f"{site.url}/notes.txt".encode()).hexdigest()[:63]
        assert await documents(client, ada["token"], notes_name, "sourdough") == []

        # What cannot be read is a 400 saying why, and nothing is indexed.
        for path, reason in (("/cat.png", "is not a web page or text (image/png)"),
                             ("/gone.html", "failed with status 404"),
                             ("/blank.html", "The content provided is empty")):  # fmt: skip
            refused = await process(client, ada["token"], {"url": site.url + path})
            assert refused.status_code == 400, path
            assert reason in refused.json()["detail"], refused.json()


async def test_pages_share_a_named_collection(make_client: MakeClient, site: PageServer) -> None:
    """Two pages in one collection both stay; `overwrite` replaces only that URL's chunks."""
    async with make_client(enable_local_url_fetch=True) as client:
        ada = await signup(client, "Ada")
        token, shelf = ada["token"], "reading-shelf"
        for path in ("/lighthouse.html", "/notes.txt"):
            body = {"url": site.url + path, "collection_name": shelf}
            added = await process(client, token, body, overwrite="false")
            assert added.status_code == 200 and added.json()["collection_name"] == shelf
        both = await documents(client, token, shelf, "bread and lighthouses")
        assert any("Sourdough" in d for d in both) and any("Stevenson" in d for d in both)

        site.pages["/notes.txt"] = Page(b"Rye bread wants a longer proof.", "text/plain")
        again = await process(client, token, {"url": f"{site.url}/notes.txt",
                                              "collection_name": shelf})  # fmt: skip
        assert again.status_code == 200, again.text
        now = await documents(client, token, shelf, "bread and lighthouses")
        assert "Rye bread wants a longer proof." in now
        assert not any("Sourdough" in d for d in now)  # the old version of that page is gone
        assert any("Stevenson" in d for d in now)  # the other page stays


async def test_writing_into_a_collection_needs_access(
    make_client: MakeClient, site: PageServer
) -> None:
    async with make_client(enable_local_url_fetch=True) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        kb = await client.post("/api/v1/knowledge/create", headers=bearer(ada["token"]),
                               json={"name": "Ada's notes"})  # fmt: skip
        url = f"{site.url}/notes.txt"
        hits = len(site.hits)
        refused = await process(
            client, uma["token"], {"url": url, "collection_name": kb.json()["id"]}
        )
        assert refused.status_code == 403
        assert len(site.hits) == hits  # refused before anything was fetched
        own = await process(client, uma["token"], {"url": url})
        assert own.status_code == 200, own.text
        assert own.json()["file"]["data"]["content"] == NOTES


async def test_private_addresses_are_refused_by_default(
    make_client: MakeClient, site: PageServer
) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        for url in (f"{site.url}/lighthouse.html", "http://10.0.0.7/page.html",
                    "http://[::1]/page.html"):  # fmt: skip
            refused = await process(client, ada["token"], {"url": url})
            assert refused.status_code == 400, url
            assert "private address" in refused.json()["detail"]
            assert "ENABLE_LOCAL_URL_FETCH" in refused.json()["detail"]
        assert site.hits == []  # no connection was made
        ftp = await process(client, ada["token"], {"url": "ftp://example.com/page.html"})
        assert ftp.status_code == 400
        assert ftp.json()["detail"] == "Only http and https URLs can be fetched"
        name = hashlib.sha256(f"{site.url}/lighthouse.html".encode()).hexdigest()[:63]
        assert await documents(client, ada["token"], name, "lighthouse") == []
