"""Forward a proxied request to one connection and hand its answer back as it comes.

A stream is relayed line by line as each line ends (its own bytes, in chunks as they came),
each line checked to be the NDJSON or SSE the route speaks. The first lines are read before
the response starts, so an upstream that times out, sends nothing or sends garbage is a JSON
`{"detail"}` error (502/504); once the stream has started, the failure is one error line
(`error_frame`) and the end of the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from owlet.core.streams import (
    DONE,
    NDJSON_MEDIA_TYPE,
    SSE_MEDIA_TYPE,
    STREAM_HEADERS,
    FrameError,
    parse_frame,
    sse_line_ok,
)
from owlet.providers.connections import Connection
from owlet.providers.http import UpstreamClient, UpstreamError

ErrorFrame = Callable[[str], bytes]
LineCheck = Callable[[bytes], None]


async def forward(
    upstream: UpstreamClient,
    conn: Connection,
    method: str,
    path: str,
    body: Any,
    *,
    stream: bool,
    media_type: str,
    error_frame: ErrorFrame,
) -> Any:
    """The upstream JSON (None for an empty body), or its stream relayed as it comes (in the
    upstream's media type, `media_type` when it names none)."""
    if not stream:
        return await upstream.request_json(conn, method, path, json_body=body, allow_empty=True)
    stack = AsyncExitStack()
    try:
        response = await stack.enter_async_context(
            upstream.stream(conn, method, path, json_body=body)
        )
        upstream_type = response.headers.get("content-type", media_type).split(";")[0].strip()
        blocks = checked_lines(upstream.chunks(response), _check_for(media_type, upstream_type))
        try:
            first = await anext(blocks)
        except FrameError as exc:
            raise UpstreamError(502, str(exc)) from exc
    except BaseException:
        await stack.aclose()
        raise
    return StreamingResponse(
        _relay(stack, first, blocks, error_frame),
        media_type=upstream_type,
        headers=STREAM_HEADERS,
        background=BackgroundTask(stack.aclose),
    )


def _check_for(expected: str, given: str) -> LineCheck:
    if expected == NDJSON_MEDIA_TYPE:
        return _ndjson_line
    if expected == SSE_MEDIA_TYPE and given != "application/json":
        return _sse_line
    return _any_line  # a server that answered a stream with one JSON body: relayed as it is


def _ndjson_line(line: bytes) -> None:
    if line.strip():
        parse_frame(line.decode("utf-8", "replace"))


def _sse_line(line: bytes) -> None:
    text = line.rstrip(b"\r").decode("utf-8", "replace")
    if not sse_line_ok(text):
        raise FrameError(f"upstream sent a line that is not SSE: {text[:200]!r}")
    if text.startswith("data:"):
        data = text[5:].strip()
        if data and data != DONE:
            parse_frame(data)


def _any_line(line: bytes) -> None:
    return None


async def checked_lines(chunks: AsyncIterator[bytes], check: LineCheck) -> AsyncIterator[bytes]:
    """The body cut after its last complete line so far, every line checked before it goes
    out; FrameError for a bad line or a body with no line at all."""
    rest = b""
    seen = False
    async for chunk in chunks:
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data  # bounded: UpstreamClient.chunks refuses an over-long line
            continue
        block, rest = data[: cut + 1], data[cut + 1 :]
        good = 0  # bytes of the block's lines that passed
        try:
            for line in block.split(b"\n")[:-1]:
                check(line)
                good += len(line) + 1
        except FrameError:
            if good:  # what was fine goes out before the error does
                yield block[:good]
            raise
        seen = True
        yield block
    if rest.strip():
        check(rest)
        seen = True
        yield rest
    if not seen:
        raise FrameError("upstream ended the stream without sending anything")


async def _relay(
    stack: AsyncExitStack,
    first: bytes,
    blocks: AsyncIterator[bytes],
    error_frame: ErrorFrame,
) -> AsyncIterator[bytes]:
    try:
        yield first
        async for block in blocks:
            yield block
    except UpstreamError as exc:
        yield error_frame(exc.message)
    except FrameError as exc:
        yield error_frame(str(exc))
    finally:
        await stack.aclose()
