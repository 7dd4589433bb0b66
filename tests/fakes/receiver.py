"""A webhook receiver for the event delivery tests: a real HTTP server on 127.0.0.1.

Each POST is kept in `posts` as (path, headers, JSON body). A path starting `/fail` answers
500; one starting `/hang` holds its answer until `release()` (or `HOLD` seconds, after which
it is marked as not released); any other path answers 200.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

HOLD = 30.0


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: Any
    released: bool | None = None  # for a held answer: whether release() ended the hold

    @property
    def event(self) -> str:
        return str(self.body.get("event"))


class Receiver:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                post = Post(self.path, {k.lower(): v for k, v in self.headers.items()},
                            json.loads(raw))  # fmt: skip
                receiver.posts.append(post)
                status = 500 if self.path.startswith("/fail") else 200
                if self.path.startswith("/hang"):
                    post.released = receiver._release.wait(HOLD)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def to(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path == path]

    def release(self) -> None:
        self._release.set()

    async def wait_for(self, path: str, count: int = 1, seconds: float = 30.0) -> list[Post]:
        """The posts to `path` once there are `count` (fails after `seconds`)."""
        deadline = time.monotonic() + seconds
        while len(self.to(path)) < count:
            assert time.monotonic() < deadline, f"{path}: {len(self.to(path))} of {count} posts"
            await asyncio.sleep(0.02)
        return self.to(path)

    def __enter__(self) -> Receiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
