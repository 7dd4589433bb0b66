"""A real HTTP server on loopback serving fixed pages, for the features that fetch a URL a
client supplied (web pages into retrieval, OAuth pictures).

`pages[path] = Page(...)` may be changed while the server runs; a path not in `pages` is a
404, and a `Page` with `location` is a 302 there. Each request's path is kept in `hits`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    headers: dict[str, str] | None = None  # more response headers (Content-Disposition, ...)


class PageServer:
    def __init__(self, pages: dict[str, Page] | None = None) -> None:
        self.pages: dict[str, Page] = dict(pages or {})
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                server.hits.append(self.path)
                page = server.pages.get(self.path)
                if page is None:
                    page, status = Page(b"not here", "text/plain"), 404
                else:
                    status = 302 if page.location else 200
                self.send_response(status)
                if page.location:
                    self.send_header("Location", page.location)
                if page.content_type:
                    self.send_header("Content-Type", page.content_type)
                for name, value in (page.headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> PageServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
