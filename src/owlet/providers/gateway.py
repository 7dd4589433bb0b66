"""Send an OpenAI-shaped chat or embeddings request to the provider that hosts the model.

The caller always gets OpenAI shapes back: a JSON body, or a `ChatStream` of OpenAI SSE
frames relayed as each upstream frame arrives (an Ollama NDJSON stream is translated frame
by frame). The upstream response is opened, and its first frame read, before the stream is
handed out: an error status, a timeout before the first byte, an empty body or garbage in
place of a stream still become an HTTP error rather than a broken 200.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

from owlet.config.store import ConfigStore
from owlet.core.egress import Egress
from owlet.core.streams import DONE, FrameError, iter_ndjson, sse_data
from owlet.providers import ollama_translate, openai_shape
from owlet.providers.answer import (
    ChatStream,
    ChunkHook,
    JsonBody,
    ModelUnavailable,
    apply_hook,
    openai_frames,
)
from owlet.providers.connections import Connection, ollama_connections, openai_connections
from owlet.providers.http import UpstreamClient, UpstreamError, error_message
from owlet.providers.images import inline_images
from owlet.providers.local.engine import LocalEngine

log = logging.getLogger(__name__)


def pick_connection(config: ConfigStore, model: dict[str, Any]) -> Connection:
    if model.get("owned_by") == "ollama":
        nodes = {c.idx: c for c in ollama_connections(config) if c.enabled}
        hosts = [nodes[i] for i in model.get("urls", []) if i in nodes]
        if not hosts:
            raise ModelUnavailable(model["id"])
        return random.choice(hosts)  # spread load over the nodes that host the model
    conns = {c.idx: c for c in openai_connections(config) if c.enabled}
    conn = conns.get(int(model.get("urlIdx", -1)))
    if conn is None:
        raise ModelUnavailable(model["id"])
    return conn


class Gateway:
    def __init__(
        self, upstream: UpstreamClient, egress: Egress, local: LocalEngine | None = None
    ) -> None:
        self.upstream = upstream
        self.egress = egress  # fetches the image URLs an Ollama model is sent
        self.local = local

    async def chat(
        self,
        config: ConfigStore,
        model: dict[str, Any],
        body: dict[str, Any],
        on_chunk: ChunkHook | None = None,
        caller: str = "",
    ) -> dict[str, Any] | JsonBody | ChatStream:
        """`body` is an OpenAI chat body whose `model` is the client-facing id; `caller` (a
        user id) is whose turn it is when a local model queues requests."""
        if model.get("owned_by") == "local":
            if self.local is None:
                raise ModelUnavailable(str(model["id"]))
            return await self.local.chat(str(model["id"]), body, caller, on_chunk)
        conn = pick_connection(config, model)
        upstream_id = conn.upstream_id(str(model["id"]))
        stream = bool(body.get("stream"))
        if conn.kind == "ollama":
            body = await inline_images(body, self.egress)
            payload = ollama_translate.chat_request(body, upstream_id)
            if not stream:
                frame = await self.upstream.request_json(
                    conn, "POST", "/api/chat", json_body=payload
                )
                return ollama_translate.chat_response(_frame(frame), str(model["id"]))
            relay = _ollama_frames(str(model["id"]), on_chunk)
            return await self._open(conn, "/api/chat", payload, relay)
        payload = openai_shape.chat_body(body, upstream_id, conn.url)
        if not stream:
            raw = await self.upstream.request_raw(
                conn, "POST", "/chat/completions", json_body=payload
            )
            return JsonBody(raw)
        return await self._open(conn, "/chat/completions", payload, openai_frames(on_chunk))

    async def _open(
        self,
        conn: Connection,
        path: str,
        payload: dict[str, Any],
        relay: Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]],
    ) -> ChatStream:
        stack = AsyncExitStack()
        try:
            response = await stack.enter_async_context(
                self.upstream.stream(conn, "POST", path, json_body=payload)
            )
            chunks = self.upstream.chunks(response)
            if conn.kind == "openai" and _is_json(response.headers.get("content-type")):
                limit = self.upstream.max_response_size
                chunks = _single(await _whole_as_sse(chunks, limit))
            frames = relay(chunks)
            first = await _first(frames)
        except BaseException:
            await stack.aclose()
            raise
        return ChatStream(stack, _after(first, frames))

    async def embeddings(
        self, config: ConfigStore, model: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        conn = pick_connection(config, model)
        upstream_id = conn.upstream_id(str(model["id"]))
        if conn.kind == "ollama":
            payload = ollama_translate.embed_request(body, upstream_id)
            frame = await self.upstream.request_json(conn, "POST", "/api/embed", json_body=payload)
            return ollama_translate.embed_response(_frame(frame), str(model["id"]))
        payload = {**body, "model": upstream_id}
        answer = await self.upstream.request_json(conn, "POST", "/embeddings", json_body=payload)
        if not isinstance(answer, dict):
            raise UpstreamError(502, "Invalid response from upstream")
        return answer


async def unload(upstream: UpstreamClient, config: ConfigStore, model: dict[str, Any]) -> Any:
    """Free the model's memory on every Ollama node hosting it, or on a llama.cpp server."""
    if model.get("owned_by") == "ollama":
        nodes = {c.idx: c for c in ollama_connections(config) if c.enabled}
        failures = []
        for idx in model.get("urls", []):
            conn = nodes.get(idx)
            if conn is None:
                continue
            body = {"model": conn.upstream_id(str(model["id"])), "keep_alive": 0, "prompt": ""}
            try:
                await upstream.request_json(conn, "POST", "/api/generate", json_body=body)
            except UpstreamError as exc:
                failures.append(f"{conn.url}: {exc.message}")
        if failures:
            raise UpstreamError(
                502, f"Failed to unload model on {len(failures)} node(s): {failures}"
            )
        return {"status": True}
    conn = pick_connection(config, model)
    if conn.provider != "llama.cpp":
        raise UpstreamError(
            400, f'Provider "{conn.provider or "openai"}" does not support model unloading'
        )
    root = Connection(conn.kind, conn.idx, conn.url.removesuffix("/v1"), conn.key, conn.config)
    body = {"model": conn.upstream_id(str(model["id"]))}
    return await upstream.request_json(root, "POST", "/models/unload", json_body=body)


def _is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


async def _first(frames: AsyncIterator[bytes]) -> bytes | None:
    """The stream's first frame; garbage there is an UpstreamError (nothing was sent yet)."""
    try:
        return await anext(frames)
    except StopAsyncIteration:
        return None
    except FrameError as exc:
        raise UpstreamError(502, str(exc)) from exc


async def _after(first: bytes | None, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first is not None:
        yield first
    async for frame in frames:
        yield frame


async def _whole_as_sse(chunks: AsyncIterator[bytes], limit: int | None) -> bytes:
    """A server that ignored `stream: true` and sent one JSON body, as the SSE it would send."""
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if limit is not None and size > limit:
            raise UpstreamError(502, f"Upstream sent a response larger than {limit} bytes")
        parts.append(chunk)
    raw = b"".join(parts)
    try:
        completion = json.loads(raw)
    except ValueError as exc:
        raise UpstreamError(502, "Upstream sent a response that is not JSON") from exc
    if isinstance(completion, dict) and completion.get("error"):
        raise UpstreamError(502, error_message(completion, "Upstream error"), completion)
    frames = [sse_data(c) for c in openai_shape.completion_as_chunks(completion)]
    return b"".join(frames) + sse_data(DONE)


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _frame(frame: Any) -> dict[str, Any]:
    """An Ollama JSON answer, or the error it carries (or a 502 when it is no object)."""
    if not isinstance(frame, dict):
        raise UpstreamError(502, "Invalid response from upstream")
    if frame.get("error"):
        raise UpstreamError(400, error_message(frame, "Upstream error"), frame)
    return frame


def _ollama_frames(
    model_id: str, on_chunk: ChunkHook | None
) -> Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]]:
    async def relay(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        translator = ollama_translate.ChunkTranslator(model=model_id)
        seen = False
        async for frame in iter_ndjson(chunks):
            seen = True
            if frame.get("error"):
                raise UpstreamError(502, error_message(frame, "Upstream error"), frame)
            for chunk in translator.feed(frame):
                changed = chunk if on_chunk is None else await apply_hook(on_chunk, chunk)
                if changed is not None:
                    yield sse_data(changed)
            if frame.get("done"):
                break
        if not seen:
            raise FrameError("upstream ended the stream without sending anything")
        yield sse_data(DONE)

    return relay
