"""Arena models (reference §5.3 step 2): one id that answers with a randomly picked model.

An arena entry is configured (`EVALUATION_ARENA_MODELS`, or `/api/v1/evaluations/config`)
as `{id, name, meta: {description, profile_image_url, model_ids, filter_mode,
access_grants}}`. It is admin-only unless its `meta.access_grants` give the caller read
access. A completion on it picks one of the candidate models the caller may use and says
which with `selected_model_id`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from owlet.access.rules import Principal, grants_allow
from owlet.config.store import ConfigStore

DEFAULT_ARENA: dict[str, Any] = {
    "id": "arena-model",
    "name": "Arena Model",
    "meta": {
        "profile_image_url": "/favicon.png",
        "description": (
            "Submit your questions to anonymous AI chatbots and vote on the best response."
        ),
        "model_ids": None,
    },
}


@dataclass
class _Grant:
    principal_type: str
    principal_id: str
    permission: str


def arena_entries(config: ConfigStore) -> list[dict[str, Any]]:
    """The arena entries of the model list, fresh dicts each call."""
    if not config.get("evaluation.arena.enable"):
        return []
    configured = config.get("evaluation.arena.models") or [DEFAULT_ARENA]
    entries = []
    for arena in configured:
        if not isinstance(arena, dict) or not isinstance(arena.get("id"), str):
            continue
        raw_meta = arena.get("meta")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        entries.append(
            {
                "id": arena["id"],
                "name": arena.get("name") or arena["id"],
                "info": {"meta": dict(meta)},
                "object": "model",
                "created": 0,
                "owned_by": "arena",
                "arena": True,
            }
        )
    return entries


def _grants(meta: dict[str, Any]) -> Iterable[_Grant]:
    for raw in meta.get("access_grants") or []:
        if isinstance(raw, dict):
            yield _Grant(
                str(raw.get("principal_type", "")),
                str(raw.get("principal_id", "")),
                str(raw.get("permission", "read")),
            )


def arena_readable(principal: Principal, entry: dict[str, Any]) -> bool:
    """Admins see arenas; anyone else needs a read grant in the arena's own meta."""
    meta = (entry.get("info") or {}).get("meta") or {}
    return principal.is_admin or grants_allow(principal, _grants(meta), "read")


def pick(entry: dict[str, Any], usable: Iterable[dict[str, Any]]) -> str | None:
    """A random candidate id among the models the caller may use, or None if there is none.

    `meta.model_ids` with `filter_mode` `include` (the default) lists the candidates;
    `exclude` means every other model; no list means every non-arena model.
    """
    meta = (entry.get("info") or {}).get("meta") or {}
    listed = meta.get("model_ids")
    ids = [m["id"] for m in usable if not m.get("arena")]
    if isinstance(listed, list) and listed:
        if meta.get("filter_mode") == "exclude":
            ids = [i for i in ids if i not in listed]
        else:
            ids = [i for i in ids if i in listed]
    return random.choice(ids) if ids else None
