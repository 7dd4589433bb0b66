"""Pipe functions as models (reference §5.3, §7.1): listed in `/api/models` (manifolds as
`<function_id>.<sub_id>`) and answering `/api/chat/completions`.

`pipe(body, …)` may return a string, a dict (an OpenAI completion, passed through), or a
generator / async generator of strings or chunk dicts. Streamed requests get OpenAI chunks,
a finish chunk and `[DONE]`; others get one `chat.completion`. Sync code runs in a thread.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.container import Container
from owlet.core.streams import DONE, sse_data
from owlet.errors import BadRequest
from owlet.functions.loader import Loaded, LoadError
from owlet.functions.runtime import _context, _set_valves, active_rows
from owlet.providers.answer import ChatStream
from owlet.providers.openai_shape import completion_as_chunks
from owlet.tables import User

_END = object()


async def pipe_models(session: AsyncSession, container: Container) -> list[dict[str, Any]]:
    if not container.settings.enable_plugins:
        return []
    models = []
    for row in await active_rows(session, container, "pipe"):
        try:
            loaded = await container.function_cache.get(row.id, row.updated_at, row.content)
        except LoadError:
            continue
        instance = loaded.instance
        subs = getattr(instance, "pipes", None)
        if subs is not None:
            listed = subs() if callable(subs) else subs
            if inspect.isawaitable(listed):
                listed = await listed
            entries = [
                (f"{row.id}.{p['id']}", f"{row.name}{p.get('name', p['id'])}")
                for p in listed if isinstance(p, dict) and "id" in p
            ]  # fmt: skip
        else:
            entries = [(row.id, row.name)]
        for model_id, name in entries:
            models.append(
                {
                    "id": model_id, "name": name, "object": "model", "created": row.created_at,
                    "owned_by": "openai", "connection_type": "local",
                    "pipe": {"type": "pipe"},
                    "has_user_valves": hasattr(instance, "UserValves"),
                }
            )  # fmt: skip
    return models


async def run_pipe(
    session: AsyncSession,
    container: Container,
    user: User,
    model_entry: dict[str, Any],
    payload: dict[str, Any],
    metadata: dict[str, Any],
) -> dict[str, Any] | ChatStream:
    function_id = str(model_entry["id"]).split(".", 1)[0]
    rows = {r.id: r for r in await active_rows(session, container, "pipe")}
    row = rows.get(function_id)
    if row is None:
        raise BadRequest("Model not found")
    try:
        loaded: Loaded = await container.function_cache.get(row.id, row.updated_at, row.content)
    except LoadError as exc:
        raise BadRequest(f"Function {row.id}: {exc}") from exc
    _set_valves(loaded.instance, row.valves)
    method = loaded.instance.pipe
    context = {**_context(user, row.id, loaded.instance, model_entry, metadata, payload),
               "__id__": row.id}  # fmt: skip
    accepted = inspect.signature(method).parameters
    kwargs = {k: v for k, v in context.items() if k in accepted}
    model_id = str(model_entry["id"])
    try:
        if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method):
            result = method(payload, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        else:
            result = await anyio.to_thread.run_sync(lambda: method(payload, **kwargs))
    except Exception as exc:
        raise BadRequest(f"Function {row.id}: {exc}") from exc
    if payload.get("stream"):
        return ChatStream(AsyncExitStack(), _sse(result, model_id, row.id))
    return await _whole(result, model_id, row.id)


async def _pieces(result: Any) -> AsyncIterator[Any]:
    """The items of a pipe's answer, whatever kind of iterable it returned."""
    if isinstance(result, str | dict) or result is None:
        if result is not None:
            yield result
        return
    if hasattr(result, "__aiter__"):
        async for piece in result:
            yield piece
        return
    iterator: Iterator[Any] = iter(result)
    while True:
        piece = await anyio.to_thread.run_sync(next, iterator, _END)
        if piece is _END:
            return
        yield piece


def _chunk(model_id: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
        "created": int(time.time()), "model": model_id,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }  # fmt: skip


async def _sse(result: Any, model_id: str, function_id: str) -> AsyncIterator[bytes]:
    try:
        async for piece in _pieces(result):
            if isinstance(piece, str):
                yield sse_data(_chunk(model_id, {"content": piece}))
            elif isinstance(piece, dict):
                whole = piece.get("object") == "chat.completion"
                for chunk in completion_as_chunks(piece) if whole else [piece]:
                    yield sse_data(chunk)
            elif hasattr(piece, "model_dump"):
                yield sse_data(piece.model_dump())
    except Exception as exc:
        error = {"message": f"Function {function_id}: {exc}", "type": "function_error"}
        yield sse_data({"error": error})
    yield sse_data(_chunk(model_id, {}, "stop"))
    yield sse_data(DONE)


async def _whole(result: Any, model_id: str, function_id: str) -> dict[str, Any]:
    if isinstance(result, dict):
        return result
    text = []
    try:
        async for piece in _pieces(result):
            if isinstance(piece, str):
                text.append(piece)
            elif isinstance(piece, dict):
                for choice in piece.get("choices") or []:
                    delta = (choice or {}).get("delta") or (choice or {}).get("message") or {}
                    text.append(str(delta.get("content") or ""))
    except Exception as exc:
        raise BadRequest(f"Function {function_id}: {exc}") from exc
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
        "created": int(time.time()), "model": model_id,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(text)},
                     "finish_reason": "stop"}],
    }  # fmt: skip
