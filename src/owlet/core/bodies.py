"""Hostile bodies stopped in one place: a size limit and a JSON nesting limit, checked
before any route (HTTP) or event handler (Socket.IO) sees the body.

The nesting check never parses and never recurses: it drops JSON strings with one regex,
keeps only the bracket bytes and takes the maximum of their running sum (+1 per opener,
-1 per closer), all at C speed. So a body nested 100,000 levels deep costs about what any
other body of its size costs, and a parser further on never recurses
deeper than the limit (Python's own `json` recurses once per level, and a 900-level body
made FastAPI's error rendering hit the interpreter's recursion limit).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import numpy as np
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from owlet.core.validation import MAX_JSON_DEPTH

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
# Openers become +1 and closers -1 (as int8), so a running sum is the nesting depth.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
# Bodies a route reads as form fields or files: never JSON, checked for size only.
_NOT_JSON = ("multipart/", "application/x-www-form-urlencoded")
_INLINE_SCAN_BYTES = 256 * 1024


def too_deep(max_depth: int = MAX_JSON_DEPTH) -> str:
    return f"The JSON body is nested deeper than {max_depth} levels."


def too_large(limit: int) -> str:
    return f"Request body is larger than the limit of {limit} bytes."


def nesting_exceeds(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text nests arrays/objects deeper than `max_depth`.

    The depth at each bracket is the count of openers minus closers before it (what a
    recursive parser's stack holds there), so malformed text is measured the same way.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if not isinstance(raw, str) and data[:4].count(0) and json.detect_encoding(data) != "utf-8":
        # UTF-16/32 JSON (which `json.loads` accepts as bytes): scan it as UTF-8.
        data = data.decode(json.detect_encoding(data), "replace").encode("utf-8")
    brackets = _STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKET)
    if brackets.count(1) <= max_depth:
        return False  # the common case: too few openers to nest past the limit
    depth = np.cumsum(np.frombuffer(brackets, dtype=np.int8), dtype=np.int32)
    return bool(depth.max() > max_depth)


class RequestBodyGuard:
    """Refuses request bodies over `max_bytes` (413) and JSON nested too deep (400).

    A declared `Content-Length` over the limit is answered before the app runs. A body that
    may be JSON (anything but multipart and url-encoded forms) is read up to the limit,
    checked, and replayed to the app; other bodies stream through, counted, and one that
    grows past its limit raises an HTTPException(413) from `receive`. Paths in `per_path`
    have their own size limit and are not read as JSON here: uploads, and Socket.IO's
    long-polling, whose packets `realtime/guard.py` checks one by one.
    Responses pass through untouched, unbuffered.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        per_path: dict[str, int] | None = None,
        max_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_json(send, 413, {"detail": too_large(limit)})
            return
        content_type = (_header(scope, b"content-type") or "").strip().lower()
        if scope["path"] in self.per_path or content_type.startswith(_NOT_JSON):
            await self.app(scope, _counted(receive, limit), send)
            return
        first = await _read_body(receive, limit)
        if first is None:
            await send_json(send, 413, {"detail": too_large(limit)})
            return
        if first["type"] == "http.request" and await self._too_deep(first["body"]):
            await send_json(send, 400, {"detail": too_deep(self.max_depth)})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()  # later: the client's disconnect, for streams

        await self.app(scope, replay, send)

    async def _too_deep(self, body: bytes) -> bool:
        if len(body) < _INLINE_SCAN_BYTES:
            return nesting_exceeds(body, self.max_depth)
        # A large body takes a few milliseconds per MiB: off the event loop.
        return await asyncio.to_thread(nesting_exceeds, body, self.max_depth)


async def _read_body(receive: Receive, limit: int) -> Message | None:
    """The whole request body as one message (None when over `limit`), or the disconnect
    that came first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def _counted(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(status_code=413, detail=too_large(limit))
        return message

    return counted


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
