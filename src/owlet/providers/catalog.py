"""The base-model list: every enabled connection's models, fetched concurrently and cached.

A slow or dead upstream never stalls the list. Each fetch has a short timeout; a list older
than MODELS_CACHE_TTL is served as is while one background refresh runs; a connection that
fails contributes nothing until it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from owlet.config.store import ConfigStore
from owlet.providers.connections import Connection, ollama_connections, openai_connections
from owlet.providers.http import UpstreamClient, UpstreamError
from owlet.providers.local.catalog import LocalModels

log = logging.getLogger(__name__)

# api.openai.com lists models that cannot chat; Open WebUI hides these.
_OPENAI_NON_CHAT = ("babbage", "dall-e", "davinci", "embedding", "tts", "whisper")


@dataclass
class _Entry:
    models: list[dict[str, Any]]
    fetched_at: float


class ModelCatalog:
    def __init__(
        self,
        upstream: UpstreamClient,
        ttl: float,
        timeout: float,
        local: LocalModels | None = None,
    ) -> None:
        self.upstream = upstream
        self.local = local
        self.ttl = ttl
        self.timeout = timeout
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        self._inflight: dict[tuple[Any, ...], asyncio.Task[list[dict[str, Any]]]] = {}

    def invalidate(self) -> None:
        self._entries.clear()

    async def close(self) -> None:
        for task in self._inflight.values():
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    async def base_models(self, config: ConfigStore, refresh: bool = False) -> list[dict[str, Any]]:
        """OpenAI-connection models, Ollama models merged across nodes by id, then the
        local models."""
        openai = [c for c in openai_connections(config) if c.enabled]
        ollama = [c for c in ollama_connections(config) if c.enabled]
        lists = await asyncio.gather(*(self._models(c, refresh) for c in openai + ollama))
        # Copies: callers decorate entries, and the cache must stay as fetched.
        result: list[dict[str, Any]] = [dict(m) for models in lists[: len(openai)] for m in models]
        merged: dict[str, dict[str, Any]] = {}
        for models in lists[len(openai) :]:
            for model in models:
                known = merged.get(model["id"])
                if known is None:
                    merged[model["id"]] = {**model, "ollama": dict(model["ollama"])}
                else:
                    known["urls"] = sorted(set(known["urls"]) | set(model["urls"]))
                    known["ollama"]["urls"] = known["urls"]
        upstream = result + list(merged.values())
        taken = {m["id"] for m in upstream}
        local = []
        for found in self.local.models().values() if self.local else []:
            if found.id in taken:  # an upstream model of that name wins
                log.debug("local model %s is hidden by an upstream model", found.id)
            else:
                local.append(found.entry())
        return upstream + local

    async def _models(self, conn: Connection, refresh: bool) -> list[dict[str, Any]]:
        key = (conn.kind, conn.idx, conn.url, repr(sorted(conn.config.items())))
        entry = self._entries.get(key)
        if entry is not None and not refresh:
            if time.monotonic() - entry.fetched_at > self.ttl:
                self._refresh(key, conn)  # serve the last good list meanwhile
            return entry.models
        return await asyncio.shield(self._refresh(key, conn))

    def _refresh(
        self, key: tuple[Any, ...], conn: Connection
    ) -> asyncio.Task[list[dict[str, Any]]]:
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(key, conn))
            self._inflight[key] = task
            task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        return task

    async def _fetch(self, key: tuple[Any, ...], conn: Connection) -> list[dict[str, Any]]:
        try:
            models = await self._list(conn)
        except UpstreamError as exc:
            log.warning("model list from %s %s failed: %s", conn.kind, conn.url, exc.message)
            previous = self._entries.get(key)
            models = previous.models if previous else []
        self._entries[key] = _Entry(models, time.monotonic())
        return models

    async def _list(self, conn: Connection) -> list[dict[str, Any]]:
        if conn.kind == "openai":
            if conn.model_ids:
                raw = [{"id": m, "object": "model", "owned_by": "openai"} for m in conn.model_ids]
            else:
                body = await self.upstream.request_json(
                    conn, "GET", "/models", read_timeout=self.timeout
                )
                raw = listed_items(body, "data")
                if "api.openai.com" in conn.url:
                    raw = [m for m in raw if not _non_chat(str(m.get("id")))]
            return [_openai_entry(conn, m) for m in raw if m.get("id")]
        loaded: dict[str, int] = {}
        if conn.model_ids:
            raw = [{"name": m, "model": m} for m in conn.model_ids]
        else:
            body, loaded = await asyncio.gather(
                self.upstream.request_json(conn, "GET", "/api/tags", read_timeout=self.timeout),
                self._loaded(conn),
            )
            raw = listed_items(body, "models")
        return [_ollama_entry(conn, m, loaded) for m in raw if m.get("model") or m.get("name")]

    async def _loaded(self, conn: Connection) -> dict[str, int]:
        """{model: when it unloads (unix seconds)} from the node's `/api/ps`; {} if it has none."""
        try:
            body = await self.upstream.request_json(
                conn, "GET", "/api/ps", read_timeout=self.timeout
            )
        except UpstreamError:
            return {}
        out: dict[str, int] = {}
        for item in listed_items(body, "models"):
            name, when = item.get("model") or item.get("name"), item.get("expires_at")
            if isinstance(name, str) and isinstance(when, str):
                try:
                    out[name] = int(datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp())
                except ValueError:
                    continue
        return out


def listed_items(body: Any, key: str) -> list[dict[str, Any]]:
    """The objects under `key` of a model-list answer; anything else there is ignored."""
    items = body.get(key) if isinstance(body, dict) else None
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


def _non_chat(model_id: str) -> bool:
    return any(word in model_id for word in _OPENAI_NON_CHAT)


def _openai_entry(conn: Connection, raw: dict[str, Any]) -> dict[str, Any]:
    model_id = conn.expose(str(raw["id"]))
    entry = {
        **raw,
        "id": model_id,
        "name": raw.get("name") or model_id,
        "object": "model",
        "created": raw.get("created") or 0,
        "owned_by": "openai",
        "openai": {**raw, "connection_type": conn.connection_type},
        "connection_type": conn.connection_type,
        "provider": conn.provider or "",
        "urlIdx": conn.idx,
    }
    if conn.tags:
        entry["tags"] = conn.tags
    return entry


def _ollama_entry(conn: Connection, raw: dict[str, Any], loaded: dict[str, int]) -> dict[str, Any]:
    name = str(raw.get("model") or raw.get("name"))
    model_id = conn.expose(name)
    ollama = {**raw, "connection_type": conn.connection_type, "urls": [conn.idx]}
    if name in loaded:
        ollama["expires_at"] = loaded[name]
    entry = {
        "id": model_id,
        "name": raw.get("name") or model_id,
        "object": "model",
        "created": 0,
        "owned_by": "ollama",
        "ollama": ollama,
        "connection_type": conn.connection_type,
        "urls": [conn.idx],
        "loaded": name in loaded or bool(raw.get("expires_at")),
    }
    if conn.tags:
        entry["tags"] = conn.tags
    return entry
