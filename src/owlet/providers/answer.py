"""What a provider answers with: an upstream JSON body kept as bytes, or a `ChatStream` of
OpenAI SSE frames; and the relay of an OpenAI-compatible SSE body, frame by frame.

The gateway and the providers behind it (the local engine among them) share these types;
providers import this module, never the gateway.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from owlet.core.streams import DONE, FrameError, iter_sse, parse_frame, sse_data
from owlet.providers.http import UpstreamError, error_message

log = logging.getLogger(__name__)

# Sees each streamed chunk; returns it (changed or not), or None to drop it. May be async.
ChunkHook = Callable[[dict[str, Any]], "dict[str, Any] | None | Awaitable[dict[str, Any] | None]"]


@dataclass(frozen=True)
class JsonBody:
    """An upstream JSON answer kept as its own bytes, so relaying it costs no re-encoding."""

    raw: bytes

    def parsed(self) -> dict[str, Any]:
        value = json.loads(self.raw)
        return value if isinstance(value, dict) else {"value": value}


class ModelUnavailable(LookupError):
    """The model's connection is gone or disabled."""


class ChatStream:
    """OpenAI SSE frames from an already-open upstream response; `aclose()` releases it."""

    def __init__(self, stack: AsyncExitStack, frames: AsyncIterator[bytes]) -> None:
        self._stack = stack
        self._frames = frames
        self.prefix: list[bytes] = []  # frames sent before the upstream's (e.g. sources)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            for frame in self.prefix:
                yield frame
            async for frame in self._frames:
                yield frame
        except UpstreamError as exc:
            log.warning("upstream stream failed: %s", exc.message)
            yield sse_data({"error": {"message": exc.message, "type": "upstream_error"}})
            yield sse_data(DONE)
        except FrameError as exc:
            yield sse_data({"error": {"message": str(exc), "type": "upstream_error"}})
            yield sse_data(DONE)
        finally:
            await self.aclose()

    def tap(self, wrap: Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]]) -> None:
        """Pass the frames through `wrap` on their way out (frames, not chunks: see
        `on_chunk` for per-chunk hooks)."""
        self._frames = wrap(self._frames)

    async def aclose(self) -> None:
        await self._stack.aclose()


async def apply_hook(hook: ChunkHook, chunk: dict[str, Any]) -> dict[str, Any] | None:
    result = hook(chunk)
    if inspect.isawaitable(result):
        result = await result
    return result if isinstance(result, dict) else None


def openai_frames(
    on_chunk: ChunkHook | None,
) -> Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]]:
    async def relay(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        seen = False
        async for event in iter_sse(chunks, strict=True):
            seen = True
            if event.data == DONE:
                yield sse_data(DONE)
                return
            chunk = parse_frame(event.data)  # refuse garbage rather than relay it
            if chunk.get("error"):
                raise UpstreamError(502, error_message(chunk, "Upstream error"), chunk)
            if on_chunk is None:
                yield sse_data(event.data)  # the upstream's own text: no re-encoding
            else:
                changed = await apply_hook(on_chunk, chunk)
                if changed is not None:
                    yield sse_data(changed)
        if not seen:
            raise FrameError("upstream ended the stream without sending anything")
        yield sse_data(DONE)  # some servers end without [DONE]

    return relay
