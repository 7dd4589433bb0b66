"""The one codec for streamed bodies: SSE (`data: …`) and NDJSON, in and out.

Readers work on an async iterator of raw byte chunks as they come off the socket and yield
each frame as soon as its terminating newline arrives: no frame is held back waiting for
another, so relaying stays frame-by-frame.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

SSE_MEDIA_TYPE = "text/event-stream"
NDJSON_MEDIA_TYPE = "application/x-ndjson"
DONE = "[DONE]"
# Headers that keep proxies (nginx and friends) from buffering a stream.
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class FrameError(ValueError):
    """A frame is not the JSON it should be."""


@dataclass(frozen=True)
class SseEvent:
    data: str
    event: str | None = None


async def iter_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Complete lines (without the newline) from a byte stream, as soon as each ends."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            line, buffer = buffer[:cut], buffer[cut + 1 :]
            yield line.rstrip(b"\r").decode("utf-8", "replace")
    if buffer.strip():
        yield buffer.decode("utf-8", "replace")


_SSE_FIELDS = ("data", "event", "id", "retry")


def sse_line_ok(line: str) -> bool:
    """A blank line, a comment or a known SSE field (`data`, `event`, `id`, `retry`)."""
    return not line or line.startswith(":") or line.split(":", 1)[0] in _SSE_FIELDS


async def iter_sse(chunks: AsyncIterator[bytes], strict: bool = False) -> AsyncIterator[SseEvent]:
    """SSE events; multi-line `data:` fields are joined; comments are skipped.

    `strict`: a line that is no SSE field (an HTML page, a JSON body) is a FrameError rather
    than ignored as the SSE spec would, so a relay never turns garbage into an empty answer.
    """
    data: list[str] = []
    event: str | None = None
    async for line in iter_lines(chunks):
        if strict and not sse_line_ok(line):
            raise FrameError(f"upstream sent a line that is not SSE: {line[:200]!r}")
        if not line:
            if data:
                yield SseEvent("\n".join(data), event)
            data, event = [], None
        elif line.startswith(":"):
            continue
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            event = line[6:].strip()
    if data:
        yield SseEvent("\n".join(data), event)


async def iter_ndjson(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    async for line in iter_lines(chunks):
        if line.strip():
            yield parse_frame(line)


def parse_frame(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except ValueError:  # orjson is strict (no NaN, no lone surrogates): the lenient parser
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise FrameError(f"upstream sent a frame that is not JSON: {text[:200]!r}") from exc
    if not isinstance(value, dict):
        raise FrameError(f"upstream sent a frame that is not a JSON object: {text[:200]!r}")
    return value


def dump_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON (orjson; the standard library for what orjson refuses, such as
    integers beyond 64 bits or lone surrogates, escaped as `\\uXXXX`)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()


def dumps(value: Any) -> str:
    return dump_bytes(value).decode()


def sse_data(value: Any) -> bytes:
    """One `data:` frame; a str is sent as is (e.g. `[DONE]`), anything else as JSON."""
    if isinstance(value, str):
        return f"data: {value}\n\n".encode()
    return b"data: " + dump_bytes(value) + b"\n\n"


def sse_event(event: str, value: Any) -> bytes:
    return f"event: {event}\ndata: ".encode() + dump_bytes(value) + b"\n\n"


def ndjson_line(value: Any) -> bytes:
    return dump_bytes(value) + b"\n"
