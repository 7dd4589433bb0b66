"""Security headers (core/headers.py): on every response, and the strict policy on what
users uploaded (HTML and SVG only ever as attachments)."""

from __future__ import annotations

from pathlib import Path

import httpx

from owlet.core.headers import PDF_CSP, USER_CONTENT_CSP
from tests.conftest import MakeClient
from tests.files.samples import pdf
from tests.support import bearer, signup

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def assert_defaults(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]


async def test_every_kind_of_response_carries_the_defaults(make_client: MakeClient) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        for response in (
            await client.get("/api/version"),
            await client.get("/api/v1/users/", headers=bearer(ada["token"])),
            await client.get("/api/v1/users/"),  # 401
            await client.get("/api/v1/chats/nope", headers=bearer(ada["token"])),  # 404
            await client.post("/api/v1/chats/new", content=b"[" * 100),  # the body guard's 400
            await client.options(
                "/api/version",
                headers={"origin": "http://x.example", "access-control-request-method": "GET"},
            ),
        ):
            assert_defaults(response)


async def test_uploaded_html_and_svg_are_attachments_under_a_strict_policy(
    make_client: MakeClient,
) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        ids = {}
        for name, data, ctype in (
            ("page.html", b"<script>alert(1)</script>", "text/html"),
            ("logo.svg", SVG, "image/svg+xml"),
            ("doc.pdf", pdf("text"), "application/pdf"),
        ):
            made = await client.post(
                "/api/v1/files/",
                headers=headers,
                files={"file": (name, data, ctype)},
                params={"process": "false"},
            )
            ids[name] = made.json()["id"]
        for name in ("page.html", "logo.svg"):
            for path in ("/content", f"/content/{name}"):
                got = await client.get(f"/api/v1/files/{ids[name]}{path}", headers=headers)
                assert got.status_code == 200
                assert got.headers["content-disposition"].startswith("attachment")
                assert got.headers["content-security-policy"] == USER_CONTENT_CSP
                assert "sandbox" in USER_CONTENT_CSP and "default-src 'none'" in USER_CONTENT_CSP
                assert_defaults(got)
        shown = await client.get(f"/api/v1/files/{ids['doc.pdf']}/content", headers=headers)
        assert shown.headers["content-disposition"].startswith("inline")  # the PDF viewer
        assert shown.headers["content-security-policy"] == PDF_CSP


async def test_a_cached_svg_is_an_attachment(make_client: MakeClient, tmp_path: Path) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        cache = tmp_path / "data" / "cache" / "image"
        cache.mkdir(parents=True)
        (cache / "x.svg").write_bytes(SVG)
        (cache / "a.png").write_bytes(b"\x89PNG")
        svg = await client.get("/cache/image/x.svg", headers=bearer(ada["token"]))
        assert svg.headers["content-disposition"].startswith("attachment")
        assert svg.headers["content-security-policy"] == USER_CONTENT_CSP
        png = await client.get("/cache/image/a.png", headers=bearer(ada["token"]))
        assert "content-disposition" not in png.headers  # images still show inline
