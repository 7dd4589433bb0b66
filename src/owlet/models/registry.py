"""The merged model list (reference §5.3) and who may see or use each entry (§5.4)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access.rules import Principal, can_access
from owlet.access.schemas import GrantModel
from owlet.access.service import principal_for
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import version_id
from owlet.errors import BadRequest
from owlet.functions.actions import decorate
from owlet.functions.pipes import pipe_models
from owlet.models.arena import arena_entries, arena_readable
from owlet.models.records_cache import RESOURCE
from owlet.models.schemas import full_meta
from owlet.tables import AccessGrant, Model, User

MODEL_NOT_FOUND = "Model not found"
__all__ = ["RESOURCE", "ModelNotFound", "ModelRegistry", "ResolvedModel"]


class ModelNotFound(BadRequest):
    """Unknown, inactive or not readable: the caller cannot tell which (400, as Open WebUI).

    The body also carries an OpenAI-style `error` (Open WebUI 0.12.4 does not): without it the
    official `openai` SDK says only "Error code: 400".
    """

    default_detail = MODEL_NOT_FOUND

    def __init__(self) -> None:
        error = {"message": MODEL_NOT_FOUND, "type": "invalid_request_error", "code": None}
        super().__init__(MODEL_NOT_FOUND, extra={"error": error})


@dataclass
class ResolvedModel:
    """A model a caller may use: the provider entry to send to, and the records on the way."""

    entry: dict[str, Any]
    base: dict[str, Any]
    chain: list[Model] = field(default_factory=list)  # the requested record first
    selected_model_id: str | None = None  # set when an arena model picked this one


def info_of(record: Model, grants: Sequence[AccessGrant]) -> dict[str, Any]:
    return {
        "version_id": version_id(record.id, record.updated_at),
        "id": record.id,
        "user_id": record.user_id,
        "base_model_id": record.base_model_id,
        "name": record.name,
        "params": record.params or {},
        "meta": full_meta(record.meta, image=False),
        "access_grants": [GrantModel.model_validate(g).model_dump() for g in grants],
        "is_active": record.is_active,
        "updated_at": record.updated_at,
        "created_at": record.created_at,
    }


def apply_default_metadata(models: list[dict[str, Any]], defaults: dict[str, Any]) -> None:
    """Fill each model's missing `info.meta` keys; `capabilities` merge key by key (own wins)."""
    if not defaults:
        return
    for entry in models:
        info = dict(entry.get("info") or {})
        meta = dict(info.get("meta") or {})
        for key, value in defaults.items():
            own = meta.get(key)
            if key == "capabilities" and isinstance(value, dict):
                meta[key] = {**value, **(own if isinstance(own, dict) else {})}
            elif own is None:
                meta[key] = copy.deepcopy(value)
        info["meta"] = meta
        entry["info"] = info


def sort_by_order(models: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    """Listed ids first in the listed order, then the rest by name."""
    if not order:
        return models
    index = {model_id: i for i, model_id in enumerate(order)}
    return sorted(models, key=lambda m: (index.get(m["id"], len(index)), str(m.get("name", ""))))


def normalize_tags(entry: dict[str, Any]) -> list[dict[str, str]]:
    raw = list(entry.get("tags") or [])
    raw += list(((entry.get("info") or {}).get("meta") or {}).get("tags") or [])
    names: list[str] = []
    for tag in raw:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    return [{"name": n} for n in names]


class ModelRegistry:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    async def merged(self, refresh: bool = False) -> tuple[list[dict[str, Any]], dict[str, Model]]:
        """Base models with records applied, then active presets; and the records by id."""
        pipes = await pipe_models(self.session, self.container)
        base = pipes + await self.container.catalog.base_models(self.config, refresh=refresh)
        snapshot = await self.container.model_records.get(self.session)
        records, grants = snapshot.records, snapshot.grants
        by_id = {m["id"]: m for m in base}
        by_short: dict[str, list[dict[str, Any]]] = {}
        for m in base:
            if m.get("owned_by") == "ollama":
                by_short.setdefault(m["id"].split(":", 1)[0], []).append(m)
        hidden: set[str] = set()
        for record in sorted(records.values(), key=lambda r: r.id in by_id):
            if record.base_model_id is not None:
                continue
            # An exact id wins (applied last); an Ollama name without a tag covers each of its tags.
            matched = [by_id[record.id]] if record.id in by_id else by_short.get(record.id, [])
            for entry in matched:
                if not record.is_active:
                    hidden.add(entry["id"])
                    continue
                entry["name"] = record.name
                entry["info"] = info_of(record, grants[record.id])
        models = [m for m in base if m["id"] not in hidden] + arena_entries(self.config)
        for record in records.values():
            if record.base_model_id is None or not record.is_active or record.id in by_id:
                continue
            parent = by_id.get(record.base_model_id) or {}
            models.append(
                {
                    "id": record.id,
                    "name": record.name,
                    "object": "model",
                    "created": record.created_at,
                    "owned_by": parent.get("owned_by", "openai"),
                    "connection_type": parent.get("connection_type", "external"),
                    "preset": True,
                    "info": info_of(record, grants[record.id]),
                }
            )
        apply_default_metadata(models, self.config.get("models.default_metadata") or {})
        return models, records

    async def _principal(self, user: User) -> Principal:
        """Admins who bypass access control need no group lookup (the common API-key case)."""
        if user.role == "admin" and self._filtering_off_for_admins():
            return Principal(user.id, user.role, frozenset())
        return await principal_for(self.session, user)

    def _filtering_off_for_admins(self) -> bool:
        settings = self.container.settings
        return settings.bypass_model_access_control or settings.bypass_admin_access_control

    def _filtering(self, principal: Principal) -> bool:
        settings = self.container.settings
        if settings.bypass_model_access_control:
            return False
        return not (principal.is_admin and settings.bypass_admin_access_control)

    async def visible(self, user: User, refresh: bool = False) -> list[dict[str, Any]]:
        """What `/api/models` shows this caller, de-duplicated, tags normalised."""
        models, _records = await self.merged(refresh)
        principal = await self._principal(user)
        filtering = self._filtering(principal)
        seen: dict[str, dict[str, Any]] = {}
        for entry in models:
            info = entry.get("info")
            if filtering and not self._readable(principal, entry):
                continue
            if info and isinstance(info.get("meta"), dict):
                info["meta"] = {k: v for k, v in info["meta"].items() if k != "profile_image_url"}
            entry["tags"] = normalize_tags(entry)
            seen[entry["id"]] = entry  # a later duplicate id wins
        listed = sort_by_order(list(seen.values()), self.config.get("ui.model_order_list") or [])
        await decorate(self.session, self.container, listed)
        return listed

    @staticmethod
    def _readable(principal: Principal, entry: dict[str, Any]) -> bool:
        if entry.get("arena"):
            return arena_readable(principal, entry)
        info = entry.get("info")
        if info is None or info.get("id") is None:
            return principal.is_admin  # a provider model without a record: admins only
        grants = [GrantModel.model_validate(g) for g in info.get("access_grants", [])]
        return can_access(principal, info.get("user_id"), grants, "read")

    async def resolve(self, user: User, model_id: str) -> ResolvedModel:
        """The model to use for a request, checking read access on every hop of its chain."""
        models, records = await self.merged()
        entries = {m["id"]: m for m in models}
        entry = entries.get(model_id)
        if entry is None:
            raise ModelNotFound()
        principal = await self._principal(user)
        filtering = self._filtering(principal)
        chain: list[Model] = []
        current: dict[str, Any] | None = entry
        seen: set[str] = set()
        while current is not None:
            if current["id"] in seen:
                raise ModelNotFound()  # a cycle of presets
            seen.add(current["id"])
            if filtering and not self._readable(principal, current):
                raise ModelNotFound()
            record = records.get((current.get("info") or {}).get("id") or current["id"])
            if record is not None:
                chain.append(record)
            if not current.get("preset"):
                return ResolvedModel(entry=entry, base=current, chain=chain)
            parent_id = record.base_model_id if record is not None else None
            current = entries.get(parent_id) if parent_id else None
        raise ModelNotFound()
