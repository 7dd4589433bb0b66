"""Ollama's `/api/chat` and `/api/generate` for local models: the Ollama request becomes an
OpenAI chat body for the engine, and its chunks become Ollama NDJSON frames.

`/api/generate` is a chat with one user turn (after `system`, if given); `raw`, `suffix`,
`context` and `images` are not supported by local models.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

from owlet.core.streams import ndjson_line
from owlet.providers.http import UpstreamError
from owlet.providers.ollama_translate import ShapeError, options_of

Kind = Literal["chat", "generate"]
# Ollama option -> OpenAI/llama.cpp parameter
_OPTIONS = {
    "num_predict": "max_tokens",
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "seed": "seed",
    "stop": "stop",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}


def openai_body(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI chat body for an Ollama chat or generate request."""
    if kind == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise ShapeError("messages must be a list")
        for message in messages:
            if isinstance(message, dict) and message.get("images"):
                raise ShapeError("local models take text only")
    else:
        if body.get("images") or body.get("suffix"):
            raise ShapeError("local models take a plain prompt (no images, no suffix)")
        prompt = body.get("prompt")
        if not isinstance(prompt, str):
            raise ShapeError("prompt must be a string")
        system = body.get("system")
        messages = [{"role": "system", "content": system}] if isinstance(system, str) else []
        messages.append({"role": "user", "content": prompt})
    out: dict[str, Any] = {"messages": messages, "stream": body.get("stream") is not False}
    for option, value in options_of(body.get("options")).items():
        key = _OPTIONS.get(option)
        if key is not None and value is not None:
            out[key] = value
    if out.get("max_tokens") in (-1, -2):  # Ollama's "no limit"
        del out["max_tokens"]
    fmt = body.get("format")
    if fmt == "json":
        out["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict):
        out["response_format"] = {"type": "json_schema", "json_schema": {"schema": fmt}}
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Framer:
    """OpenAI chunks in, Ollama frames out (one per chunk with text, then the final one)."""

    def __init__(self, kind: Kind, model: str) -> None:
        self.kind = kind
        self.model = model
        self.started = time.perf_counter_ns()
        self.first: int | None = None

    def _frame(self, text: str, done: bool) -> dict[str, Any]:
        frame: dict[str, Any] = {"model": self.model, "created_at": _now()}
        if self.kind == "chat":
            frame["message"] = {"role": "assistant", "content": text}
        else:
            frame["response"] = text
        frame["done"] = done
        return frame

    def feed(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        choice = (chunk.get("choices") or [{}])[0]
        text = str((choice.get("delta") or {}).get("content") or "")
        if not text:
            return None
        if self.first is None:
            self.first = time.perf_counter_ns()
        return self._frame(text, False)

    def last(self, chunk: dict[str, Any] | None) -> dict[str, Any]:
        choice = ((chunk or {}).get("choices") or [{}])[0]
        usage = (chunk or {}).get("usage") or {}
        ended = time.perf_counter_ns()
        first = self.first or ended
        frame = self._frame("", True)
        frame.update(
            done_reason="length" if choice.get("finish_reason") == "length" else "stop",
            total_duration=ended - self.started,
            load_duration=0,
            prompt_eval_count=int(usage.get("prompt_tokens") or 0),
            prompt_eval_duration=first - self.started,
            eval_count=int(usage.get("completion_tokens") or 0),
            eval_duration=ended - first,
        )
        return frame


async def ndjson(chunks: AsyncIterator[dict[str, Any]], framer: Framer) -> AsyncIterator[bytes]:
    """The frames; a failure once the stream is under way ends it with an `error` line, as
    Ollama does."""
    last: dict[str, Any] | None = None
    try:
        async for chunk in chunks:
            frame = framer.feed(chunk)
            if frame is not None:
                yield ndjson_line(frame)
            last = chunk
    except UpstreamError as exc:
        yield ndjson_line({"error": exc.message})
        return
    yield ndjson_line(framer.last(last))


async def whole(chunks: AsyncIterator[dict[str, Any]], framer: Framer) -> dict[str, Any]:
    text, last = [], None
    async for chunk in chunks:
        frame = framer.feed(chunk)
        if frame is not None:
            text.append(frame["message"]["content"] if framer.kind == "chat" else frame["response"])
        last = chunk
    final = framer.last(last)
    if framer.kind == "chat":
        final["message"]["content"] = "".join(text)
    else:
        final["response"] = "".join(text)
    return final


def tag(entry: dict[str, Any]) -> dict[str, Any]:
    """A local model as `/ollama/api/tags` lists it."""
    local = entry.get("local") or {}
    modified = datetime.fromtimestamp(int(entry.get("created") or 0), UTC)
    return {
        "name": entry["id"],
        "model": entry["id"],
        "modified_at": modified.isoformat().replace("+00:00", "Z"),
        "size": int(local.get("size") or 0),
        "digest": "",
        "details": {"format": "gguf", "family": "", "parameter_size": "",
                    "quantization_level": ""},
        "urls": [],
        "connection_type": "local",
    }  # fmt: skip
