"""Upstream connections (OpenAI-compatible and Ollama) as read from the admin config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from owlet.config.store import ConfigStore

Kind = Literal["openai", "ollama"]


@dataclass(frozen=True)
class Connection:
    kind: Kind
    idx: int
    url: str
    key: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.config.get("enable", True))

    @property
    def prefix_id(self) -> str:
        return str(self.config.get("prefix_id") or "")

    @property
    def model_ids(self) -> list[str]:
        return [str(m) for m in self.config.get("model_ids") or []]

    @property
    def tags(self) -> list[Any]:
        return list(self.config.get("tags") or [])

    @property
    def connection_type(self) -> str:
        default = "local" if self.kind == "ollama" else "external"
        return str(self.config.get("connection_type") or default)

    @property
    def provider(self) -> str | None:
        value = self.config.get("provider")
        return str(value) if value else None

    def headers(self) -> dict[str, str]:
        headers = {str(k): str(v) for k, v in (self.config.get("headers") or {}).items()}
        key = str(self.config.get("key") or self.key)
        if key and self.config.get("auth_type", "bearer") == "bearer":
            headers.setdefault("Authorization", f"Bearer {key}")
        return headers

    def expose(self, model_id: str) -> str:
        """The id clients see: `<prefix_id>.<id>` when the connection has a prefix."""
        return f"{self.prefix_id}.{model_id}" if self.prefix_id else model_id

    def upstream_id(self, model_id: str) -> str:
        """The id the upstream knows: the prefix stripped again."""
        prefix = f"{self.prefix_id}." if self.prefix_id else ""
        return model_id.removeprefix(prefix) if prefix else model_id


def _config_for(configs: dict[str, Any], idx: int, url: str) -> dict[str, Any]:
    # Keyed by index as a string; older configs were keyed by URL.
    value = configs.get(str(idx), configs.get(url, {}))
    return dict(value) if isinstance(value, dict) else {}


def openai_connections(config: ConfigStore) -> list[Connection]:
    if not config.get("openai.enable"):
        return []
    urls = list(config.get("openai.api_base_urls") or [])
    keys = list(config.get("openai.api_keys") or [])
    configs = config.get("openai.api_configs") or {}
    return [
        Connection("openai", i, url, keys[i] if i < len(keys) else "", _config_for(configs, i, url))
        for i, url in enumerate(urls)
    ]


def ollama_connections(config: ConfigStore) -> list[Connection]:
    if not config.get("ollama.enable"):
        return []
    urls = list(config.get("ollama.base_urls") or [])
    configs = config.get("ollama.api_configs") or {}
    return [
        Connection("ollama", i, url, "", _config_for(configs, i, url)) for i, url in enumerate(urls)
    ]
