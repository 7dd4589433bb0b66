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


ERROR_BODY_LIMIT = 64 * 1024  # bytes of an error body read for its message; the rest is dropped
_RETRY_HEADERS = ("retry-after",)


def error_message(body: Any, fallback: str) -> str:
    """The human message inside an OpenAI (`{"error": {"message"}}`) or Ollama error body;
    `fallback` when there is none (an HTML page, an empty body, JSON without a message)."""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        if isinstance(error, dict):
            return str(error.get("message") or fallback)[:1000]
        if isinstance(error, str) and error.strip():
            return error.strip()[:1000]
    if isinstance(body, str) and body.strip() and not body.lstrip().startswith("<"):
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


def _status_text(response: httpx.Response) -> str:
    reason = response.reason_phrase
    status = response.status_code
    return f"Upstream error {status} ({reason})" if reason else f"Upstream error {status}"


# A connection URL an admin saved that no request can be sent to (control characters, a host
# IDNA refuses): as unreachable as a host that does not answer, never a 500.
BAD_URL = (httpx.InvalidURL, UnicodeError)


def _raise_for(response: httpx.Response, raw: bytes) -> None:
    if response.status_code >= 400:
        body = _decode(raw)
        message = error_message(body, _status_text(response))
        error = UpstreamError(response.status_code, message, body)
        retry = {k: v for k in _RETRY_HEADERS if (v := response.headers.get(k))}
        error.headers = {"Retry-After": retry["retry-after"]} if retry else None
        raise error


async def _read(response: httpx.Response, limit: int | None) -> bytes:
    """The whole body, at most `limit` bytes: a success body beyond it is an error (502),
    an error body is cut (only its message is wanted); a body cut off by the network is
    UpstreamUnreachable, or keeps the error status it came with."""
    failed = response.status_code >= 400
    if failed:
        limit = ERROR_BODY_LIMIT
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if limit is not None and size > limit:
                if failed:
                    parts.append(chunk[: len(chunk) - (size - limit)])
                    break
                raise UpstreamError(502, f"Upstream sent a response larger than {limit} bytes")
            parts.append(chunk)
    except httpx.HTTPError as exc:
        if failed:
            raise UpstreamError(response.status_code, _status_text(response)) from exc
        raise _unreachable(exc) from exc
    return b"".join(parts)


class UpstreamClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        completion_timeout: float | None,
        max_response_size: int | None = None,
    ) -> None:
        self.client = client
        self.completion_timeout = completion_timeout
        # The largest whole body, and the largest single frame of a stream, taken from upstream.
        self.max_response_size = max_response_size

    def _timeout(self, timeout: float | None) -> httpx.Timeout:
        # Connecting is always quick or never; reading may take as long as a completion does.
        read = timeout if timeout is not None else self.completion_timeout
        return httpx.Timeout(connect=min(read or 10.0, 10.0), read=read, write=30.0, pool=10.0)

    async def _fetch(
        self, conn: Connection, method: str, path: str, json_body: Any, read_timeout: float | None
    ) -> bytes:
        """The upstream's whole (bounded) body for a success status; UpstreamError otherwise."""
        try:
            request = self.client.build_request(
                method, conn.url + path, json=json_body, headers=conn.headers(),
                timeout=self._timeout(read_timeout),
            )  # fmt: skip
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        except BAD_URL as exc:
            raise UpstreamUnreachable() from exc
        try:
            raw = await _read(response, self.max_response_size)
        finally:
            await response.aclose()
        _raise_for(response, raw)
        return raw

    async def request_json(
        self,
        conn: Connection,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        read_timeout: float | None = None,
        expect_json: bool = True,
        allow_empty: bool = False,
    ) -> Any:
        """The upstream's JSON answer (None for an empty body when `allow_empty`); without
        `expect_json`, a body that is not JSON comes back as text."""
        raw = await self._fetch(conn, method, path, json_body, read_timeout)
        if not raw.strip() and (allow_empty or not expect_json):
            return None
        if not expect_json:
            return _decode(raw)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise UpstreamUnreachable("Upstream sent a response that is not JSON") from exc

    async def request_raw(
        self, conn: Connection, method: str, path: str, *, json_body: Any = None
    ) -> bytes:
        """The upstream's JSON body as bytes, checked to be JSON but not re-encoded."""
        raw = await self._fetch(conn, method, path, json_body, None)
        try:
            json.loads(raw)
        except ValueError as exc:
            raise UpstreamUnreachable("Upstream sent a response that is not JSON") from exc
        return raw

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
                _raise_for(response, await _read(response, ERROR_BODY_LIMIT))
            yield response
        finally:
            await response.aclose()

    def chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        """The open response's body chunks, no frame (line) longer than the bound."""
        return body_chunks(response, self.max_response_size)


def _long_line(chunk: bytes, run: int, limit: int) -> tuple[int, int | None]:
    """(bytes since the chunk's last newline, counting `run` before it; where the first line
    longer than `limit` begins, or None). Only a chunk longer than the limit can hide one
    between its first and last newline, so only such a chunk is split."""
    first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
    if first < 0:
        return run + len(chunk), (0 if run + len(chunk) > limit else None)
    if run + first > limit:
        return 0, 0
    if len(chunk) > limit:
        offset = first + 1
        for line in chunk[first + 1 : last].split(b"\n"):
            if len(line) > limit:
                return 0, offset
            offset += len(line) + 1
    tail = len(chunk) - last - 1
    return tail, (last + 1 if tail > limit else None)


async def body_chunks(
    response: httpx.Response, frame_limit: int | None = None
) -> AsyncIterator[bytes]:
    """Raw body chunks as they arrive; a broken upstream becomes UpstreamUnreachable (504 when
    it timed out), a line longer than `frame_limit` bytes an UpstreamError (502) after the
    whole lines before it."""
    run = 0  # bytes since the last newline
    received = False
    try:
        async for chunk in response.aiter_bytes():
            if frame_limit is not None:
                run, cut = _long_line(chunk, run, frame_limit)
                if cut is not None:
                    if cut:
                        yield chunk[:cut]
                    message = f"Upstream sent a frame larger than {frame_limit} bytes"
                    raise UpstreamError(502, message)
            received = received or bool(chunk)
            yield chunk
    except httpx.HTTPError as exc:
        if _timed_out(exc):
            where = " mid-stream" if received else ""
            raise UpstreamUnreachable(f"Upstream timed out{where}", status=504) from exc
        raise UpstreamUnreachable("Upstream closed the stream unexpectedly") from exc
