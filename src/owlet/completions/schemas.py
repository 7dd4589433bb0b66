"""Shapes of the completion endpoints; unknown fields are kept and passed on."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from owlet.core.validation import Form

ModelName = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ChatCompletionForm(Form):
    """An OpenAI Chat Completions body plus Open WebUI's fields (reference §1.4)."""

    model_config = ConfigDict(extra="allow")

    model: ModelName
    messages: list[dict[str, Any]] = Field(default_factory=list, max_length=100_000)
    stream: bool | None = None
    # Typed so a wrong shape is a 422 here rather than a failure further in.
    params: dict[str, Any] | None = None
    variables: dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    stop: str | list[str] | None = None


class ChatCompletedForm(Form):
    model_config = ConfigDict(extra="allow")

    model: ModelName
    messages: list[dict[str, Any]] = Field(default_factory=list)
    chat_id: str | None = None
    session_id: str | None = None


class ChatCompletedResponse(BaseModel):
    """`/api/chat/completed`: the body sent, as the outlet filters left it (any fields kept;
    the ones named here are those a client sends, present when it sent them)."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[dict[str, Any]] | None = None
    chat_id: str | None = None
    session_id: str | None = None
    id: str | None = None


class EmbeddingsForm(Form):
    model_config = ConfigDict(extra="allow")

    model: ModelName
    input: str | list[str] | list[int] | list[list[int]]
