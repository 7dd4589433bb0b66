"""Pure-ASGI middleware: request id, `X-Process-Time`, and the last-resort JSON 500.

Request bodies are guarded in `core/bodies.py`."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("owlet.errors")


class RequestContextMiddleware:
    """Stamps `X-Process-Time` (seconds) and `X-Request-ID` on every HTTP response.

    It also turns an unexpected exception into `{"detail": "Internal Server Error"}`
    (logged with the request id) so no client ever sees a plain-text 500 or a traceback.
    It never buffers bodies, so streams pass through frame by frame.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = False

        def stamp(message: Message) -> Message:
            headers = list(message.get("headers", []))
            headers.append((b"x-process-time", f"{time.perf_counter() - start:.6f}".encode()))
            headers.append((b"x-request-id", request_id.encode()))
            return {**message, "headers": headers}

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = stamp(message)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception(
                "unhandled error in %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if started:
                raise  # the status line is gone; the server closes the connection
            body = json.dumps({"detail": "Internal Server Error", "request_id": request_id})
            await send(
                stamp(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
            )
            await send({"type": "http.response.body", "body": body.encode()})


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            # Only echo ids that are safe to log and to put back in a header.
            if 0 < len(text) <= 64 and all(c.isalnum() or c in "-_." for c in text):
                return text
    return None
