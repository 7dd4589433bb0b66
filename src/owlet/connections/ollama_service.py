"""Rules of the `/ollama` proxy: which node serves a request, who may use which model."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.completions.pipeline import SERVER_PARAMS, substitute, template_variables
from owlet.config.store import ConfigStore
from owlet.connections.relay import forward
from owlet.container import Container
from owlet.core.streams import NDJSON_MEDIA_TYPE, ndjson_line
from owlet.errors import AppError, BadRequest, Forbidden, Messages, ServiceUnavailable
from owlet.models.registry import ModelNotFound, ModelRegistry
from owlet.providers.connections import Connection, ollama_connections
from owlet.providers.http import UpstreamUnreachable
from owlet.providers.ollama_translate import OPTION_NAMES
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

    async def tags(self, user: User, url_idx: int | None) -> dict[str, Any]:
        nodes = self.nodes()
        if url_idx is not None:
            conn = nodes.get(url_idx)
            if conn is None:
                raise BadRequest(f"No Ollama connection at index {url_idx}")
            body = await self.upstream.request_json(conn, "GET", "/api/tags")
            return body if isinstance(body, dict) else {"models": []}
        registry = ModelRegistry(self.session, self.container, self.config)
        models = await registry.visible(user) if user.role == "user" else None
        allowed = None if models is None else {m["id"] for m in models}
        entries = await self.container.catalog.base_models(self.config)
        return {
            "models": [
                {**m["ollama"], "model": m["id"], "name": m["id"], "urls": m["urls"]}
                for m in entries
                if m.get("owned_by") == "ollama" and (allowed is None or m["id"] in allowed)
            ]
        }

    async def route(
        self, user: User, model: str, url_idx: int | None
    ) -> tuple[Connection, str, dict[str, Any]]:
        """(node, upstream model name, stored params) for a request naming `model`."""
        nodes = self.nodes()
        registry = ModelRegistry(self.session, self.container, self.config)
        try:
            resolved = await registry.resolve(user, model)
        except ModelNotFound:
            known = {m["id"] for m in await self.container.catalog.base_models(self.config)}
            if model in known or f"{model}:latest" in known:
                raise Forbidden(Messages.MODEL_NOT_FOUND) from None
            raise ModelNotHosted(model) from None
        base = resolved.base
        if base.get("owned_by") != "ollama":
            raise ModelNotHosted(model)
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
        params: dict[str, Any] = {}
        for record in reversed(resolved.chain):
            params.update({k: v for k, v in (record.params or {}).items() if v is not None})
        return conn, conn.upstream_id(str(base["id"])), params

    def apply_params(self, body: dict[str, Any], params: dict[str, Any], user: User) -> None:
        """A custom model's params become `options`; its system prompt leads the messages."""
        options = dict(body.get("options") or {})
        for key, value in params.items():
            if key in SERVER_PARAMS:
                continue
            options.setdefault(OPTION_NAMES.get(key, key), value)
        if options:
            body["options"] = options
        system = params.get("system")
        if isinstance(system, str) and system.strip() and isinstance(body.get("messages"), list):
            prompt = substitute(system, template_variables(user, None))
            messages = body["messages"]
            if not (messages and messages[0].get("role") == "system"):
                body["messages"] = [{"role": "system", "content": prompt}, *messages]

    async def forward(
        self, conn: Connection, method: str, path: str, body: Any, stream: bool
    ) -> Any:
        """Send to the node; a stream is relayed chunk by chunk as NDJSON (or the node's type)."""
        return await forward(
            self.upstream,
            conn,
            method,
            path,
            body,
            stream=stream,
            media_type=NDJSON_MEDIA_TYPE,
            error_frame=lambda message: ndjson_line({"error": message}),
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
                body = await self.upstream.request_json(conn, "GET", "/api/version")
            except AppError:
                continue
            if isinstance(body, dict) and body.get("version"):
                versions.append(str(body["version"]))
        if not versions:
            raise UpstreamUnreachable("Ollama: no node answered")
        return {"version": min(versions, key=_version_key)}


def _version_key(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("-")[0].split("."):
        parts.append(int(piece) if piece.isdigit() else 0)
    return tuple(parts)
