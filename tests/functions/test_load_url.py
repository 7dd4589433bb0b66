"""`POST /api/v1/functions/load/url`: a plugin's source from a URL, never from a private
address unless ENABLE_LOCAL_URL_FETCH allows it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from owlet.functions.router import raw_url
from tests.conftest import MakeClient
from tests.functions.test_filters import FOOTER
from tests.support import bearer, signup

PAGES = {"/plugins/footer.py": FOOTER, "/big.py": "x" * 1_000_001}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/plugins/footer.py")
            self.end_headers()
            return
        page = PAGES.get(self.path)
        body = (page or "not here").encode()
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_private_addresses_are_refused_by_default(
    make_client: MakeClient, pages: str
) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        for url in (f"{pages}/plugins/footer.py", "http://[::1]/x.py", "http://10.1.2.3/x.py"):
            refused = await client.post(
                "/api/v1/functions/load/url", headers=bearer(ada["token"]), json={"url": url}
            )
            assert refused.status_code == 400, url
            assert "private address" in refused.json()["detail"]
        ftp = await client.post(
            "/api/v1/functions/load/url",
            headers=bearer(ada["token"]),
            json={"url": "ftp://example.com/x.py"},
        )
        assert ftp.status_code == 400
        assert ftp.json()["detail"] == "Only http and https URLs can be fetched"


async def test_loads_source_when_local_fetch_is_allowed(
    make_client: MakeClient, pages: str
) -> None:
    async with make_client(enable_local_url_fetch=True) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        for path in ("/plugins/footer.py", "/moved"):
            loaded = await client.post(
                "/api/v1/functions/load/url", headers=headers, json={"url": pages + path}
            )
            assert loaded.status_code == 200, loaded.text
            assert loaded.json() == {"name": "footer", "content": FOOTER}
        missing = await client.post(
            "/api/v1/functions/load/url", headers=headers, json={"url": pages + "/nope.py"}
        )
        assert missing.status_code == 400 and "status 404" in missing.json()["detail"]
        big = await client.post(
            "/api/v1/functions/load/url", headers=headers, json={"url": pages + "/big.py"}
        )
        assert big.status_code == 400 and "larger than" in big.json()["detail"]
        # Nothing was stored: loading is for review before create.
        assert (await client.get("/api/v1/functions/", headers=headers)).json() == []


def test_github_pages_become_raw_addresses() -> None:
    page = "https://github.com/acme/plugins/blob/main/filters/footer.py"
    assert raw_url(page) == "https://raw.githubusercontent.com/acme/plugins/main/filters/footer.py"
    assert raw_url("https://example.com/a/b/blob/c/d.py") == "https://example.com/a/b/blob/c/d.py"


async def test_malformed_urls_are_a_400(make_client: MakeClient) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        for url in ("http://[::1", "http://exa\tmple.com/x.py", "http://example.com:port/x"):
            refused = await client.post(
                "/api/v1/functions/load/url", headers=bearer(ada["token"]), json={"url": url}
            )
            assert refused.status_code == 400, url


def test_ipv4_inside_ipv6_is_checked() -> None:
    import ipaddress

    from owlet.core.egress import public

    for private in ("::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "::10.0.0.1",
                    "169.254.169.254", "fd00::1"):  # fmt: skip
        assert not public(ipaddress.ip_address(private)), private
    for open_ in ("8.8.8.8", "64:ff9b::808:808", "2001:4860:4860::8888"):
        assert public(ipaddress.ip_address(open_)), open_
