"""Wire shapes of `/openai/config` and `/ollama/config`, with Open WebUI's field names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from owlet.core.validation import Form, JsonObject

Url = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^https?://")]


class OpenAIConfig(BaseModel):
    ENABLE_OPENAI_API: bool
    OPENAI_API_BASE_URLS: list[str]
    OPENAI_API_KEYS: list[str]
    OPENAI_API_CONFIGS: dict[str, Any]


class OpenAIConfigForm(Form):
    ENABLE_OPENAI_API: bool | None = None
    OPENAI_API_BASE_URLS: list[Url] = Field(max_length=100)
    OPENAI_API_KEYS: list[Annotated[str, StringConstraints(max_length=4096)]] = Field(
        default_factory=list, max_length=100
    )
    OPENAI_API_CONFIGS: dict[str, JsonObject] = Field(default_factory=dict)


class OllamaConfig(BaseModel):
    ENABLE_OLLAMA_API: bool
    OLLAMA_BASE_URLS: list[str]
    OLLAMA_API_CONFIGS: dict[str, Any]


class OllamaConfigForm(Form):
    ENABLE_OLLAMA_API: bool | None = None
    OLLAMA_BASE_URLS: list[Url] = Field(max_length=100)
    OLLAMA_API_CONFIGS: dict[str, JsonObject] = Field(default_factory=dict)


class VerifyForm(Form):
    url: Url
    key: Annotated[str, StringConstraints(max_length=4096)] = ""
    config: JsonObject | None = None
