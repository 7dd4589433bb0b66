"""Wire shapes of `/api/v1/tasks`, with Open WebUI's field names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from owlet.core.validation import Form


class TaskConfig(BaseModel):
    """Always filled from the stored config (whose first values come from Settings)."""

    TASK_MODEL: str
    TASK_MODEL_EXTERNAL: str
    ENABLE_TITLE_GENERATION: bool
    TITLE_GENERATION_PROMPT_TEMPLATE: str
    ENABLE_TAGS_GENERATION: bool
    TAGS_GENERATION_PROMPT_TEMPLATE: str
    ENABLE_FOLLOW_UP_GENERATION: bool
    FOLLOW_UP_GENERATION_PROMPT_TEMPLATE: str


class TaskConfigForm(Form):
    model_config = ConfigDict(extra="ignore")

    TASK_MODEL: str | None = Field(default=None, max_length=256)
    TASK_MODEL_EXTERNAL: str | None = Field(default=None, max_length=256)
    ENABLE_TITLE_GENERATION: bool | None = None
    TITLE_GENERATION_PROMPT_TEMPLATE: str | None = Field(default=None, max_length=20_000)
    ENABLE_TAGS_GENERATION: bool | None = None
    TAGS_GENERATION_PROMPT_TEMPLATE: str | None = Field(default=None, max_length=20_000)
    ENABLE_FOLLOW_UP_GENERATION: bool | None = None
    FOLLOW_UP_GENERATION_PROMPT_TEMPLATE: str | None = Field(default=None, max_length=20_000)


class TaskForm(Form):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=256)
    messages: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    chat_id: str | None = None
