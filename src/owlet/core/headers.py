"""Security headers on every HTTP response, and the policy for serving user content.

Every response gets `X-Content-Type-Options: nosniff`, a `Referrer-Policy`, and framing
limited to owlet's own pages (`X-Frame-Options: SAMEORIGIN`, CSP `frame-ancestors 'self'`:
the web client frames its own file previews). A route that sets one of these keeps its
own. The page CSP stays at framing only: the web client's build uses inline scripts and
workers that a stricter page policy would break. User-uploaded bytes get the strict policy
below from the routes that serve them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# For user content served inline or downloaded: no scripts, no requests out, and (with
# `sandbox`) a unique origin even when a browser renders it as a page.
USER_CONTENT_CSP = (
    "default-src 'none'; img-src 'self' data:; media-src 'self'; "
    "style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
)
# PDF viewers refuse to run in a sandboxed document: PDFs are limited to framing.
PDF_CSP = "frame-ancestors 'self'"

DEFAULTS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
)


def user_content_headers(media_type: str) -> dict[str, str]:
    """The headers a route adds when it serves bytes a user uploaded."""
    policy = PDF_CSP if media_type == "application/pdf" else USER_CONTENT_CSP
    return {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": policy}


class SecurityHeadersMiddleware:
    """Adds `DEFAULTS` a response does not set itself; bodies pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in DEFAULTS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
