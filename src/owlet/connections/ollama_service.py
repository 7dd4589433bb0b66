"""Rules of the `/ollama` proxy: which node serves a request, who may use which model."""

from __future__ import annotations

import random
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.completions.pipeline import (
    SERVER_PARAMS,
    substitute,
    template_variables,
    with_system,
)
from owlet.config.store import ConfigStore
from owlet.connections.relay import forward
from owlet.container import Container
from owlet.core.streams import NDJSON_MEDIA_TYPE, SSE_MEDIA_TYPE, ndjson_line, sse_data
from owlet.deps import end_transaction
from owlet.errors import AppError, BadRequest, Forbidden, Messages, ServiceUnavailable
from owlet.models.registry import ModelNotFound, ModelRegistry, ResolvedModel
from owlet.providers.catalog import listed_items
from owlet.providers.connections import Connection, ollama_connections
from owlet.providers.http import UpstreamUnreachable
from owlet.providers.local.ollama_shape import tag as local_tag
from owlet.providers.ollama_translate import ollama_option, options_of
from owlet.tables import User

OLLAMA_API_DISABLED = "The Ollama API is disabled. Please enable it to use this feature."


class ModelNotHosted(BadRequest):
    def __init__(self, model: str) -> None:
        super().__init__(f"Model '{model}' was not found")


class OllamaProxy:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config
        self.upstream = container.upstream

    @property
    def enabled(self) -> bool:
        return bool(self.config.get("ollama.enable"))

    def nodes(self) -> dict[int, Connection]:
        if not self.enabled:
            raise ServiceUnavailable(OLLAMA_API_DISABLED)
        return {c.idx: c for c in ollama_connections(self.config) if c.enabled}

    def node(self, url_idx: int | None) -> Connection:
        """The node at `url_idx` (default: the first), for routes not tied to a model."""
        nodes = self.nodes()
        conn = nodes.get(0 if url_idx is None else url_idx)
        if conn is None:
            raise BadRequest(f"No Ollama connection at index {url_idx}")
        return conn

    @property
    def list_timeout(self) -> float:
        return self.container.settings.aiohttp_client_timeout_model_list

    async def visible_ids(self, user: User) -> set[str] | None:
        """The model ids a plain user may see; None for admins (they see everything)."""
        if user.role != "user":
            return None
        registry = ModelRegistry(self.session, self.container, self.config)
        ids = {m["id"] for m in await registry.visible(user)}
        await end_transaction(self.session)
        return ids

    async def tags(self, user: User, url_idx: int | None) -> dict[str, Any]:
        nodes = self.nodes()
        allowed = await self.visible_ids(user)
        if url_idx is not None:
            conn = nodes.get(url_idx)
            if conn is None:
                raise BadRequest(f"No Ollama connection at index {url_idx}")
            body = await self.upstream.request_json(
                conn, "GET", "/api/tags", read_timeout=self.list_timeout
            )
            listed = listed_items(body, "models")
            if allowed is not None:
                listed = [m for m in listed if conn.expose(_name_of(m)) in allowed]
            return {"models": listed}
        entries = await self.container.catalog.base_models(self.config)
        visible = [m for m in entries if allowed is None or m["id"] in allowed]
        return {
            "models": [
                {**m["ollama"], "model": m["id"], "name": m["id"], "urls": m["urls"]}
                for m in visible
                if m.get("owned_by") == "ollama"
            ]
            + [local_tag(m) for m in visible if m.get("owned_by") == "local"]
        }

    async def known_name(self, model: str) -> str:
        """`llama3` means `llama3:latest` when only that is served, as in Ollama itself."""
        if ":" in model:
            return model
        known = {m["id"] for m in await self.container.catalog.base_models(self.config)}
        return f"{model}:latest" if model not in known and f"{model}:latest" in known else model

    async def resolve(self, user: User, model: str) -> ResolvedModel:
        """The Ollama model named `model`, if the caller may use it (403 when they may not)."""
        model = await self.known_name(model)
        registry = ModelRegistry(self.session, self.container, self.config)
        try:
            resolved = await registry.resolve(user, model)
        except ModelNotFound:
            known = {m["id"] for m in await self.container.catalog.base_models(self.config)}
            if model in known:
                raise Forbidden(Messages.MODEL_NOT_FOUND) from None
            raise ModelNotHosted(model) from None
        if resolved.base.get("owned_by") not in ("ollama", "local"):
            raise ModelNotHosted(model)
        return resolved

    def route(
        self, user: User, resolved: ResolvedModel, url_idx: int | None
    ) -> tuple[Connection, str, dict[str, Any]]:
        """(node, upstream model name, stored params) for a resolved Ollama model."""
        nodes = self.nodes()
        base = resolved.base
        model = str(base["id"])
        hosts = [i for i in base.get("urls", []) if i in nodes]
        if url_idx is not None:
            if url_idx not in nodes:
                raise BadRequest(f"No Ollama connection at index {url_idx}")
            if url_idx not in hosts and user.role != "admin":
                raise Forbidden(Messages.ACCESS_PROHIBITED)
            conn = nodes[url_idx]
        elif hosts:
            conn = nodes[random.choice(hosts)]
        else:
            raise ModelNotHosted(model)
        return conn, conn.upstream_id(str(base["id"])), stored_params(resolved)

    def apply_params(
        self, shape: Shape, body: dict[str, Any], params: dict[str, Any], user: User
    ) -> None:
        """A custom model's stored params and system prompt, in the body's own shape.

        Stored params win over the request's, as in Open WebUI's proxy; the system prompt
        leads whatever system text the request has.
        """
        sampling = {k: v for k, v in params.items() if k not in SERVER_PARAMS}
        system = params.get("system")
        prompt = (
            substitute(system, template_variables(user, None))
            if isinstance(system, str) and system.strip()
            else None
        )
        if shape == "ollama":
            options = options_of(body.get("options"))
            options.update(ollama_option(k, v) for k, v in sampling.items())
            if options:
                body["options"] = options
        elif shape == "openai":
            body.update(sampling)
        else:
            body.update({k: v for k, v in sampling.items() if k in _PORTABLE_SAMPLING})
        if prompt is None:
            return
        if isinstance(body.get("messages"), list) and shape in ("ollama", "openai"):
            body["messages"] = with_system(body["messages"], prompt)
        elif shape == "responses":
            body["instructions"] = _lead(prompt, body.get("instructions"))
        elif isinstance(body.get("system"), list):  # Anthropic content blocks
            body["system"] = [{"type": "text", "text": prompt}, *body["system"]]
        else:  # Ollama generate, Anthropic messages
            body["system"] = _lead(prompt, body.get("system"))

    async def forward(
        self, conn: Connection, method: str, path: str, body: Any, stream: bool
    ) -> Any:
        """Send to the node; a stream is relayed chunk by chunk as it comes.

        Ollama's own API streams NDJSON; its OpenAI- and Anthropic-style `/v1` API streams SSE.
        """
        if path.startswith("/v1/"):
            media_type, frame = SSE_MEDIA_TYPE, _sse_error
        else:
            media_type, frame = NDJSON_MEDIA_TYPE, _ndjson_error
        return await forward(
            self.upstream,
            conn,
            method,
            path,
            body,
            stream=stream,
            media_type=media_type,
            error_frame=frame,
        )

    async def version(self, url_idx: int | None) -> dict[str, Any]:
        if not self.enabled:
            return {"version": False}
        nodes = self.nodes()
        targets = [nodes[url_idx]] if url_idx in nodes else list(nodes.values())
        if url_idx is not None and url_idx not in nodes:
            raise BadRequest(f"No Ollama connection at index {url_idx}")
        versions = []
        for conn in targets:
            try:
                body = await self.upstream.request_json(
                    conn, "GET", "/api/version", read_timeout=self.list_timeout
                )
            except AppError:
                continue
            if isinstance(body, dict) and body.get("version"):
                versions.append(str(body["version"]))
        if not versions:
            raise UpstreamUnreachable("Ollama: no node answered")
        return {"version": min(versions, key=_version_key)}


def stored_params(resolved: ResolvedModel) -> dict[str, Any]:
    """A custom model's params, the nearest record's winning."""
    params: dict[str, Any] = {}
    for record in reversed(resolved.chain):
        params.update({k: v for k, v in (record.params or {}).items() if v is not None})
    return params


def _version_key(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("-")[0].split("."):
        parts.append(int(piece) if piece.isdigit() else 0)
    return tuple(parts)


Shape = Literal["ollama", "openai", "anthropic", "responses"]
# Params every request shape knows by the same name.
_PORTABLE_SAMPLING = frozenset({"temperature", "top_p", "top_k", "stop_sequences"})


def _lead(prompt: str, existing: Any) -> str:
    return f"{prompt}\n{existing}" if isinstance(existing, str) and existing else prompt


def _name_of(model: dict[str, Any]) -> str:
    return str(model.get("model") or model.get("name") or "")


def _sse_error(message: str) -> bytes:
    return sse_data({"error": {"message": message, "type": "upstream_error"}})


def _ndjson_error(message: str) -> bytes:
    return ndjson_line({"error": message})
