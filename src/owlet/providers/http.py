"""HTTP to upstreams through the one shared httpx client; upstream failures become errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from owlet.errors import AppError
from owlet.providers.connections import Connection

CONNECTION_ERROR = "Open WebUI: Server Connection Error"


class UpstreamError(AppError):
    """The upstream answered with an error status; its status and message carry over.

    The response is `{"detail": message}` plus the upstream's own `error` object when it
    sent one, so OpenAI SDKs still find `error.message`.
    """

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        extra = {"error": error} if isinstance(error, dict) else None
        super().__init__(message, extra=extra)
        self.status = status if 400 <= status <= 599 else 502
        self.message = message
        self.body = body


class UpstreamUnreachable(UpstreamError):
    """No usable answer: connection refused, reset, timed out, or not JSON."""

    def __init__(self, message: str = CONNECTION_ERROR, status: int = 502) -> None:
        super().__init__(status, message)


def error_message(body: Any, fallback: str) -> str:
    """The human message inside an OpenAI (`{"error": {"message"}}`) or Ollama error body."""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail"))
        if isinstance(error, dict):
            return str(error.get("message") or fallback)
        if error:
            return str(error)
    if isinstance(body, str) and body.strip():
        return body.strip()[:1000]
    return fallback


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _timed_out(exc: httpx.HTTPError) -> bool:
    """A real timeout, as opposed to a refused, reset or closed connection.

    The aiohttp transport reports every connection failure as an httpx timeout; the
    aiohttp error it chains tells them apart (its timeouts are `TimeoutError`s).
    """
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        return isinstance(cause, TimeoutError)
    return isinstance(exc, httpx.TimeoutException)


def _unreachable(exc: httpx.HTTPError) -> UpstreamUnreachable:
    if _timed_out(exc):
        return UpstreamUnreachable("Upstream timed out", status=504)
    return UpstreamUnreachable()


# A connection URL an admin saved that no request can be sent to (control characters, a host
# IDNA refuses): as unreachable as a host that does not answer, never a 500.
BAD_URL = (httpx.InvalidURL, UnicodeError)


def _raise_for(response: httpx.Response, raw: bytes) -> None:
    if response.status_code >= 400:
        body = _decode(raw)
        message = error_message(body, f"Upstream error {response.status_code}")
        raise UpstreamError(response.status_code, message, body)


class UpstreamClient:
    def __init__(self, client: httpx.AsyncClient, completion_timeout: float | None) -> None:
        self.client = client
        self.completion_timeout = completion_timeout

    def _timeout(self, timeout: float | None) -> httpx.Timeout:
        # Connecting is always quick or never; reading may take as long as a completion does.
        read = timeout if timeout is not None else self.completion_timeout
        return httpx.Timeout(connect=min(read or 10.0, 10.0), read=read, write=30.0, pool=10.0)

    async def request_json(
        self,
        conn: Connection,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        read_timeout: float | None = None,
        expect_json: bool = True,
    ) -> Any:
        try:
            response = await self.client.request(
                method,
                conn.url + path,
                json=json_body,
                headers=conn.headers(),
                timeout=self._timeout(read_timeout),
            )
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        except BAD_URL as exc:
            raise UpstreamUnreachable() from exc
        _raise_for(response, response.content)
        if not expect_json:
            return _decode(response.content) if response.content else None
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamUnreachable("Upstream sent a response that is not JSON") from exc

    async def request_raw(
        self, conn: Connection, method: str, path: str, *, json_body: Any = None
    ) -> bytes:
        """The upstream's JSON body as bytes, checked to be JSON but not re-encoded."""
        try:
            response = await self.client.request(
                method, conn.url + path, json=json_body, headers=conn.headers(),
                timeout=self._timeout(None),
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        except BAD_URL as exc:
            raise UpstreamUnreachable() from exc
        _raise_for(response, response.content)
        try:
            json.loads(response.content)
        except ValueError as exc:
            raise UpstreamUnreachable("Upstream sent a response that is not JSON") from exc
        return response.content

    @asynccontextmanager
    async def stream(
        self, conn: Connection, method: str, path: str, *, json_body: Any = None
    ) -> AsyncIterator[httpx.Response]:
        """An open streaming response with a success status; closed when the block exits."""
        try:
            request = self.client.build_request(
                method,
                conn.url + path,
                json=json_body,
                headers=conn.headers(),
                timeout=self._timeout(None),
            )
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        except BAD_URL as exc:
            raise UpstreamUnreachable() from exc
        try:
            if response.status_code >= 400:
                try:
                    raw = await response.aread()
                except httpx.HTTPError as exc:
                    raise _unreachable(exc) from exc
                _raise_for(response, raw)
            yield response
        finally:
            await response.aclose()


async def body_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """Raw body chunks as they arrive; a broken upstream becomes UpstreamUnreachable."""
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.HTTPError as exc:
        if _timed_out(exc):
            raise UpstreamUnreachable("Upstream timed out mid-stream", status=504) from exc
        raise UpstreamUnreachable("Upstream closed the stream unexpectedly") from exc
