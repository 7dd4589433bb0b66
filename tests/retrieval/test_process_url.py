"""`POST /api/v1/retrieval/process/url` (what the 0.12.4 web client attaches web pages with),
against a real local server: a page's text into its own collection, a file stored and
processed as an upload, an image stored; what cannot be read is a 400 and leaves nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.pages import Page, PageServer
from tests.files.samples import pdf
from tests.support import add_user, bearer, signup

PAGE = b"""<html><head><title>Barn owls</title></head><body><p>Barn owls hunt at night over
open fields, finding voles by sound alone.</p></body></html>"""
NOTE = "The code word is KUMQUAT-7."
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def site() -> Iterator[PageServer]:
    pages = {
        "/owls.html": Page(PAGE),
        "/note.txt": Page(NOTE.encode(), "text/plain"),
        "/plain": Page(NOTE.encode(), "text/plain"),
        "/report.pdf": Page(pdf("The secret is MANGO-99"), "application/pdf"),
        "/owl.png": Page(PNG, "image/png"),
        "/fake.png": Page(b"not an image at all", "image/png"),
        "/saved": Page(PAGE, headers={"Content-Disposition": 'attachment; filename="a b.html"'}),
        "/blank.html": Page(b"<html><body></body></html>"),
        "/empty.txt": Page(b"", "text/plain"),
        "/broken.pdf": Page(b"%PDF-1.4 this is not really a PDF", "application/pdf"),
    }
    with PageServer(pages) as server:
        yield server


async def process(client: httpx.AsyncClient, token: str, url: str, **params: str) -> httpx.Response:
    return await client.post(
        "/api/v1/retrieval/process/url", headers=bearer(token), params=params,
        json={"url": url, "collection_name": None},
    )  # fmt: skip


async def files_of(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    listed = await client.get("/api/v1/files/", headers=bearer(token))
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def test_pages_files_and_images(make_client: MakeClient, site: PageServer) -> None:
    async with make_client(enable_local_url_fetch=True) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        token = uma["token"]  # a plain user may, as in Open WebUI

        url = f"{site.url}/owls.html"
        page = await process(client, token, url)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body == {
            "status": True, "type": "web", "name": url, "url": url,
            "collection_name": hashlib.sha256(url.encode()).hexdigest()[:63],
            "content": body["content"], "file": None,
        }  # fmt: skip
        assert body["content"].startswith("Barn owls\n") and "voles by sound" in body["content"]
        assert await files_of(client, token) == []  # a page makes no file
        found = await client.post(
            "/api/v1/retrieval/query/collection", headers=bearer(ada["token"]),
            json={"collection_names": [body["collection_name"]], "query": "owls hunting"},
        )  # fmt: skip
        assert "voles" in found.json()["documents"][0][0]
        unprocessed = await process(client, token, url, process="false")
        assert unprocessed.json()["collection_name"] is None
        assert unprocessed.json()["content"] == body["content"]

        note = (await process(client, token, f"{site.url}/note.txt")).json()
        assert (note["type"], note["name"], note["content"]) == ("file", "note.txt", None)
        file = note["file"]
        assert note["collection_name"] == f"file-{file['id']}"
        assert (file["data"]["status"], file["data"]["content"]) == ("completed", NOTE)
        assert file["meta"]["data"] == {"source_url": f"{site.url}/note.txt"}
        assert file["meta"]["content_type"] == "text/plain"
        report = (await process(client, token, f"{site.url}/report.pdf")).json()
        assert report["type"] == "file" and report["name"] == "report.pdf"
        assert "MANGO-99" in report["file"]["data"]["content"]
        plain = (await process(client, token, f"{site.url}/plain")).json()
        assert plain["name"] == "plain.txt"  # an extension from the content type
        saved = (await process(client, token, f"{site.url}/saved")).json()
        assert (saved["type"], saved["name"]) == ("file", "a b.html")  # an attachment

        image = (await process(client, token, f"{site.url}/owl.png")).json()
        assert (image["type"], image["name"]) == ("image", "owl.png")
        assert image["collection_name"] is None
        assert image["file"]["meta"]["content_type"] == "image/png"
        assert image["file"]["data"] == {}  # never processed
        mine = {f["id"] for f in await files_of(client, token)}
        assert mine == {note["file"]["id"], report["file"]["id"], plain["file"]["id"],
                        saved["file"]["id"], image["file"]["id"]}  # fmt: skip

        # What cannot be read: a 400 saying why, and no file left behind.
        for path, reason in (("/fake.png", "Invalid image content"),
                             ("/gone.html", "failed with status 404"),
                             ("/blank.html", "The content provided is empty"),
                             ("/empty.txt", "The content provided is empty"),
                             ("/broken.pdf", "")):  # fmt: skip
            refused = await process(client, token, site.url + path)
            assert refused.status_code == 400, (path, refused.text)
            assert reason in refused.json()["detail"], refused.json()
        assert {f["id"] for f in await files_of(client, token)} == mine

        # Naming a collection: only one the caller may write, as for process/web.
        named = await client.post(
            "/api/v1/retrieval/process/url", headers=bearer(token),
            json={"url": url, "collection_name": "someone-elses"},
        )  # fmt: skip
        assert named.status_code == 403, named.text
        missing = await client.post("/api/v1/retrieval/process/url", headers=bearer(token),
                                    json={})  # fmt: skip
        assert missing.status_code == 422


async def test_private_addresses_are_refused_by_default(
    make_client: MakeClient, site: PageServer
) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        refused = await process(client, ada["token"], f"{site.url}/owls.html")
        assert refused.status_code == 400, refused.text
        assert site.hits == []  # refused before anything was fetched
        assert await files_of(client, ada["token"]) == []


async def test_web_upload_permission_is_enforced(make_client: MakeClient, site: PageServer) -> None:
    """`chat.web_upload` off: a user's process/url and process/web are 403, before any fetch
    (Open WebUI only hides the button); an admin still may."""
    async with make_client(enable_local_url_fetch=True) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        admin = bearer(ada["token"])
        defaults = (await client.get("/api/v1/users/default/permissions", headers=admin)).json()
        defaults["chat"]["web_upload"] = False
        saved = await client.post("/api/v1/users/default/permissions", headers=admin, json=defaults)
        assert saved.status_code == 200, saved.text
        url = f"{site.url}/owls.html"
        assert (await process(client, uma["token"], url)).status_code == 403
        by_web = await client.post("/api/v1/retrieval/process/web", headers=bearer(uma["token"]),
                                   json={"url": url})  # fmt: skip
        assert by_web.status_code == 403
        assert site.hits == []
        assert (await process(client, ada["token"], url)).status_code == 200
