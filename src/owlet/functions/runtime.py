"""Running filter functions on completions: `inlet` before the model, `outlet` on
`/api/chat/completed` (reference §7.1), `stream` on every chunk (pipes, actions and inline
outlets have modules of their own).

Filters that run: the active ones that are global or listed in the model's `meta.filterIds`;
one that declares `toggle = True` only when the request's `filter_ids` names it. Order:
`Valves.priority` ascending, then id. A plugin method gets only the optional parameters its
signature asks for; sync code runs in a worker thread (a quick `stream` filter on the loop,
see sync_calls.py); every call has a time limit; an exception answers 400 naming the function
and never reaches the server.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.container import Container
from owlet.errors import BadRequest
from owlet.functions.loader import ActiveRow, Loaded, LoadError
from owlet.functions.sync_calls import run_sync
from owlet.tables import Function, User

log = logging.getLogger(__name__)
CALL_SECONDS = 30.0


async def _noop_emitter(event: Any) -> None:
    """No socket layer yet: events a plugin emits are dropped."""


async def _noop_call(event: Any) -> None:
    return None


async def active_rows(session: AsyncSession, container: Container, kind: str) -> list[ActiveRow]:
    """The active functions of one type (`filter`, `pipe`, `action`), cached for a second."""
    cache = container.function_cache
    rows = cache.active(kind)
    if rows is None:
        stmt = select(Function).where(Function.type == kind, Function.is_active.is_(True))
        rows = [
            ActiveRow(
                f.id,
                f.name,
                f.updated_at,
                f.created_at,
                f.content,
                dict(f.meta or {}),
                dict(f.valves or {}),
                f.is_global,
            )  # fmt: skip
            for f in (await session.scalars(stmt.order_by(Function.id))).all()
        ]
        cache.keep_active(kind, rows)
    return rows


async def filters_for(
    session: AsyncSession,
    container: Container,
    model_entry: dict[str, Any],
    filter_ids: Any,
) -> list[tuple[ActiveRow, Loaded]]:
    if not container.settings.enable_plugins:
        return []
    rows = await active_rows(session, container, "filter")
    if not rows:
        return []
    meta = (model_entry.get("info") or {}).get("meta") or {}
    attached = set(meta.get("filterIds") or []) if isinstance(meta, dict) else set()
    switched_on = set(filter_ids) if isinstance(filter_ids, list) else set()
    chosen = []
    for row in rows:
        if not (row.is_global or row.id in attached):
            continue
        if (row.meta or {}).get("toggle") and row.id not in switched_on:
            continue
        try:
            loaded = await container.function_cache.get(row.id, row.updated_at, row.content)
        except LoadError as exc:
            log.warning("function %s cannot load: %s", row.id, exc)
            continue
        _set_valves(loaded.instance, row.valves or {})
        chosen.append((row, loaded))
    chosen.sort(key=lambda pair: (_priority(pair[1].instance), pair[0].id))
    return chosen


def _set_valves(instance: Any, values: dict[str, Any]) -> None:
    cls = getattr(instance, "Valves", None)
    if cls is not None and callable(getattr(cls, "model_validate", None)):
        try:
            instance.valves = cls.model_validate(values)
        except Exception:  # stored values the new source no longer accepts: its defaults
            instance.valves = cls()


def _priority(instance: Any) -> float:
    value = getattr(getattr(instance, "valves", None), "priority", 0)
    return float(value) if isinstance(value, int | float) else 0.0


def user_dict(user: User, function_id: str, instance: Any) -> dict[str, Any]:
    stored = ((user.settings or {}).get("functions") or {}).get("valves") or {}
    values = stored.get(function_id) if isinstance(stored, dict) else None
    valves: Any = None
    cls = getattr(instance, "UserValves", None)
    if cls is not None and callable(getattr(cls, "model_validate", None)):
        try:
            valves = cls.model_validate(values or {})
        except Exception:
            valves = cls()
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "valves": valves}  # fmt: skip


async def invoke(
    row: ActiveRow, loaded: Loaded, hook: str, body: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """`hook(body, …)` of one filter; its dict result replaces the body."""
    result = await _call(row, loaded, hook, body, context)
    return result if isinstance(result, dict) else body


async def _call(
    row: ActiveRow, loaded: Loaded, hook: str, body: dict[str, Any], context: dict[str, Any]
) -> Any:
    method = getattr(loaded.instance, hook, None)
    if not callable(method):
        return body
    kwargs = wanted(method, {"__id__": row.id, **context})
    try:
        if inspect.iscoroutinefunction(method):
            with anyio.fail_after(CALL_SECONDS):
                return await method(body, **kwargs)
        return await run_sync(functools.partial(method, **kwargs), body, CALL_SECONDS)
    except TimeoutError:
        raise BadRequest(f"Function {row.id}: {hook} took longer than {CALL_SECONDS:g} s") from None
    except Exception as exc:
        log.info("function %s %s raised %s", row.id, hook, type(exc).__name__)
        raise BadRequest(f"Function {row.id}: {exc}") from exc


_PARAMETERS: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def wanted(method: Callable[..., Any], context: dict[str, Any]) -> dict[str, Any]:
    """The optional parameters `method` names in its signature (read once per function)."""
    key = getattr(method, "__func__", method)
    names = _PARAMETERS.get(key)
    if names is None:
        names = frozenset(inspect.signature(method).parameters)
        _PARAMETERS[key] = names
    return {name: value for name, value in context.items() if name in names}


Chosen = list[tuple[ActiveRow, Loaded]]  # what filters_for returns


def stream_hook(
    filters: Chosen, user: User, model_entry: dict[str, Any], metadata: dict[str, Any]
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None:
    """The chosen filters' `stream` methods as one chunk hook (None when there are none).

    A falsy return drops the chunk; a filter that raises mid-stream is logged and skipped
    for that chunk, one that outlives its time limit for the rest of the stream, so the
    answer still reaches the client. Async methods run on the event loop; sync ones through
    `run_sync` (sync_calls.py): in a thread, or on the loop once they have shown themselves
    quick. The methods' context is read at the first chunk, when `metadata` has the ids of
    the chat message the answer is recorded into.
    """
    chosen = [(row, loaded) for row, loaded in filters
              if callable(getattr(loaded.instance, "stream", None))]  # fmt: skip
    if not chosen:
        return None
    steps: list[tuple[str, Callable[[Any], Any], bool]] = []
    stuck: set[str] = set()

    async def hook(chunk: dict[str, Any]) -> dict[str, Any] | None:
        if not steps:
            for row, loaded in chosen:
                method = loaded.instance.stream
                context = _context(user, row.id, loaded.instance, model_entry, metadata, {})
                bound = functools.partial(method, **wanted(method, {"__id__": row.id, **context}))
                steps.append((row.id, bound, inspect.iscoroutinefunction(method)))
        current = chunk
        for function_id, step, is_async in steps:
            if function_id in stuck:
                continue
            try:
                if is_async:
                    async with asyncio.timeout(CALL_SECONDS):
                        changed = await step(current)
                else:
                    changed = await run_sync(step, current, CALL_SECONDS, may_inline=True)
            except TimeoutError:
                log.warning("stream filter %s took over %g s: skipped", function_id, CALL_SECONDS)
                stuck.add(function_id)
                continue
            except Exception as exc:
                log.warning("stream filter %s failed: %s", function_id, exc)
                continue
            if not changed:
                return None  # a falsy return drops the chunk
            if isinstance(changed, dict):
                current = changed
        return current

    return hook


def _context(
    user: User,
    function_id: str,
    instance: Any,
    model_entry: dict[str, Any],
    metadata: dict[str, Any],
    body: dict[str, Any],
) -> dict[str, Any]:
    return {
        "__user__": user_dict(user, function_id, instance),
        "__metadata__": metadata,
        "__model__": model_entry,
        "__event_emitter__": _noop_emitter,
        "__event_call__": _noop_call,
        "__chat_id__": metadata.get("chat_id"),
        "__message_id__": metadata.get("message_id"),
        "__session_id__": metadata.get("session_id"),
        "__request__": None,
        "__files__": body.get("files") or metadata.get("files"),
    }


async def run(
    filters: Chosen,
    user: User,
    model_entry: dict[str, Any],
    hook: str,
    body: dict[str, Any],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Every chosen filter's `hook` in order, each on the previous one's output."""
    for row, loaded in filters:
        context = _context(user, row.id, loaded.instance, model_entry, metadata, body)
        body = await invoke(row, loaded, hook, body, context)
    return body
