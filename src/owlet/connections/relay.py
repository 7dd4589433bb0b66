"""Forward a proxied request to one connection and hand its answer back as it comes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from owlet.core.streams import STREAM_HEADERS
from owlet.providers.connections import Connection
from owlet.providers.http import UpstreamClient, UpstreamUnreachable, body_chunks

ErrorFrame = Callable[[str], bytes]


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
    """The upstream JSON, or its stream relayed chunk by chunk (in the upstream's media type,
    `media_type` when it names none). A stream cut off by the network ends with
    `error_frame(message)` instead of hanging."""
    if not stream:
        return await upstream.request_json(conn, method, path, json_body=body, expect_json=False)
    stack = AsyncExitStack()
    try:
        response = await stack.enter_async_context(
            upstream.stream(conn, method, path, json_body=body)
        )
    except BaseException:
        await stack.aclose()
        raise
    upstream_type = response.headers.get("content-type", media_type).split(";")[0]
    return StreamingResponse(
        _relay(stack, body_chunks(response), error_frame),
        media_type=upstream_type,
        headers=STREAM_HEADERS,
        background=BackgroundTask(stack.aclose),
    )


async def _relay(
    stack: AsyncExitStack, chunks: AsyncIterator[bytes], error_frame: ErrorFrame
) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    except UpstreamUnreachable as exc:
        yield error_frame(exc.message)
    finally:
        await stack.aclose()
