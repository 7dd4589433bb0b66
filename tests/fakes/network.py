"""A pretend internet for the egress tests: sites on loopback ports standing in for public
addresses, and a transport under the real one that routes each connection to them.

`RoutedTransport` sits under the shared client's real transport and sees where each request
would connect: an IP in the URL, or a name it looks up itself in the fake DNS, as any HTTP
client that resolves on its own would (that second lookup is what DNS rebinding exploits).
Public addresses in `routes` reach their `Site`; loopback reaches the `private` site;
anything else is a ConnectError. Every address connected to is recorded in `connected`.
"""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.fakes.dns import DnsResolver


class Site:
    """An HTTP server on 127.0.0.1: `/to?u=<url>` redirects (302) there, any other path is
    200 with `<name>:<path>`. Each request's (path, Host header) is kept in `hits`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.hits: list[tuple[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                site.hits.append((self.path, self.headers.get("Host", "")))
                parts = urlsplit(self.path)
                if parts.path == "/to":
                    self.send_response(302)
                    self.send_header("Location", parse_qs(parts.query)["u"][0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = f"{site.name}:{parts.path}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815 (the stdlib's name)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]

    def __enter__(self) -> Site:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class RoutedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        resolver: DnsResolver,
        routes: dict[str, Site],
        private: Site,
    ) -> None:
        self.inner, self.resolver, self.routes, self.private = inner, resolver, routes, private
        self.connected: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a name: look it up, as a client that resolves by itself would
            address = (await self.resolver.resolve(host, request.url.port or 80))[0]
        self.connected.append(str(address))
        if address.is_loopback:
            site = self.private
        elif str(address) in self.routes:
            site = self.routes[str(address)]
        else:
            raise httpx.ConnectError(f"{address} is outside the test network", request=request)
        request.url = request.url.copy_with(host="127.0.0.1", port=site.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
