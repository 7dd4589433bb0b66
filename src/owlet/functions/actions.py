"""Action functions (reference §1.5, §5.3): listed as `actions` on each model, run by
`POST /api/chat/actions/{action_id}`; and the toggleable filters listed as `filters`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.container import Container
from owlet.errors import BadRequest
from owlet.functions.loader import ActiveRow, Loaded, LoadError
from owlet.functions.runtime import _call, _context, _priority, _set_valves, active_rows
from owlet.tables import User


async def _loaded(container: Container, rows: list[ActiveRow]) -> list[tuple[ActiveRow, Loaded]]:
    found = []
    for row in rows:
        try:
            loaded = await container.function_cache.get(row.id, row.updated_at, row.content)
        except LoadError:
            continue
        _set_valves(loaded.instance, row.valves)
        found.append((row, loaded))
    found.sort(key=lambda pair: (_priority(pair[1].instance), pair[0].id))
    return found


def _attached(model: dict[str, Any], key: str) -> set[str]:
    meta = (model.get("info") or {}).get("meta") or {}
    value = meta.get(key) if isinstance(meta, dict) else None
    return set(value) if isinstance(value, list) else set()


def _button(row: ActiveRow, sub: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = row.meta or {}
    return {
        "id": f"{row.id}.{sub['id']}" if sub else row.id,
        "name": (sub or {}).get("name") or row.name,
        "description": meta.get("description"),
        "icon": (sub or {}).get("icon") or (meta.get("manifest") or {}).get("icon_url"),
    }


async def decorate(
    session: AsyncSession, container: Container, models: list[dict[str, Any]]
) -> None:
    """Set `actions` and `filters` on each listed model (empty lists when there are none)."""
    actions = await _loaded(container, await active_rows(session, container, "action"))
    filters = await _loaded(container, await active_rows(session, container, "filter"))
    toggles = [(r, loaded) for r, loaded in filters if (r.meta or {}).get("toggle")]
    for model in models:
        chosen_actions = _attached(model, "actionIds")
        chosen_filters = _attached(model, "filterIds")
        model["actions"] = [
            button
            for row, loaded in actions
            if row.is_global or row.id in chosen_actions
            for button in _buttons(row, loaded)
        ]
        model["filters"] = [
            {**_button(row), "has_user_valves": hasattr(loaded.instance, "UserValves")}
            for row, loaded in toggles
            if row.is_global or row.id in chosen_filters
        ]


def _buttons(row: ActiveRow, loaded: Loaded) -> list[dict[str, Any]]:
    subs = getattr(loaded.instance, "actions", None)
    if isinstance(subs, list) and subs:
        return [_button(row, sub) for sub in subs if isinstance(sub, dict) and "id" in sub]
    return [_button(row)]


async def run_action(
    session: AsyncSession,
    container: Container,
    user: User,
    model: dict[str, Any],
    action_id: str,
    body: dict[str, Any],
) -> Any:
    if not container.settings.enable_plugins:
        raise BadRequest(f"Action not found: {action_id}")
    function_id, _, sub_id = action_id.partition(".")
    rows = {r.id: r for r in await active_rows(session, container, "action")}
    row = rows.get(function_id)
    if row is None:
        raise BadRequest(f"Action not found: {action_id}")
    if not (row.is_global or row.id in _attached(model, "actionIds")):
        raise BadRequest(f"Action not available: {action_id}")
    found = await _loaded(container, [row])
    if not found:
        raise BadRequest(f"Action not found: {action_id}")
    loaded = found[0][1]
    metadata = {"chat_id": body.get("chat_id"), "message_id": body.get("id"),
                "session_id": body.get("session_id")}  # fmt: skip
    context = {**_context(user, row.id, loaded.instance, model, metadata, body)}
    context["__id__"] = sub_id or row.id
    return await _call(row, loaded, "action", body, context)
