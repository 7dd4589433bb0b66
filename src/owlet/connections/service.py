"""Admin edits of the connection lists, and checking a connection before saving it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.store import ConfigStore
from owlet.connections.schemas import (
    OllamaConfig,
    OllamaConfigForm,
    OpenAIConfig,
    OpenAIConfigForm,
    VerifyForm,
)
from owlet.container import Container
from owlet.providers.connections import Connection, Kind


def _configs_in_range(configs: dict[str, Any], urls: list[str]) -> dict[str, Any]:
    """Configs keyed by index (or legacy URL) that still point at a connection."""
    kept = {}
    for key, value in configs.items():
        if (key.isdigit() and int(key) < len(urls)) or key in urls:
            kept[key] = value
    return kept


class ConnectionService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    def openai_config(self) -> OpenAIConfig:
        return OpenAIConfig(
            ENABLE_OPENAI_API=bool(self.config.get("openai.enable")),
            OPENAI_API_BASE_URLS=list(self.config.get("openai.api_base_urls") or []),
            OPENAI_API_KEYS=list(self.config.get("openai.api_keys") or []),
            OPENAI_API_CONFIGS=dict(self.config.get("openai.api_configs") or {}),
        )

    async def update_openai(self, form: OpenAIConfigForm) -> OpenAIConfig:
        urls = [u.rstrip("/") for u in form.OPENAI_API_BASE_URLS]
        keys = (list(form.OPENAI_API_KEYS) + [""] * len(urls))[: len(urls)]
        values: dict[str, Any] = {
            "openai.api_base_urls": urls,
            "openai.api_keys": keys,
            "openai.api_configs": _configs_in_range(form.OPENAI_API_CONFIGS, urls),
        }
        if form.ENABLE_OPENAI_API is not None:
            values["openai.enable"] = form.ENABLE_OPENAI_API
        await self.config.stage(self.session, values)
        self.container.catalog.invalidate()
        return OpenAIConfig(
            ENABLE_OPENAI_API=values.get("openai.enable", self.config.get("openai.enable")),
            OPENAI_API_BASE_URLS=urls,
            OPENAI_API_KEYS=keys,
            OPENAI_API_CONFIGS=values["openai.api_configs"],
        )

    def ollama_config(self) -> OllamaConfig:
        return OllamaConfig(
            ENABLE_OLLAMA_API=bool(self.config.get("ollama.enable")),
            OLLAMA_BASE_URLS=list(self.config.get("ollama.base_urls") or []),
            OLLAMA_API_CONFIGS=dict(self.config.get("ollama.api_configs") or {}),
        )

    async def update_ollama(self, form: OllamaConfigForm) -> OllamaConfig:
        urls = [u.rstrip("/") for u in form.OLLAMA_BASE_URLS]
        values: dict[str, Any] = {
            "ollama.base_urls": urls,
            "ollama.api_configs": _configs_in_range(form.OLLAMA_API_CONFIGS, urls),
        }
        if form.ENABLE_OLLAMA_API is not None:
            values["ollama.enable"] = form.ENABLE_OLLAMA_API
        await self.config.stage(self.session, values)
        self.container.catalog.invalidate()
        return OllamaConfig(
            ENABLE_OLLAMA_API=values.get("ollama.enable", self.config.get("ollama.enable")),
            OLLAMA_BASE_URLS=urls,
            OLLAMA_API_CONFIGS=values["ollama.api_configs"],
        )

    async def verify(self, kind: Kind, form: VerifyForm) -> Any:
        """The upstream's own answer to a model list (OpenAI) or version (Ollama) request."""
        conn = Connection(kind, -1, form.url.rstrip("/"), form.key, dict(form.config or {}))
        path = "/models" if kind == "openai" else "/api/version"
        return await self.container.upstream.request_json(
            conn,
            "GET",
            path,
            read_timeout=self.container.settings.aiohttp_client_timeout_model_list,
        )
