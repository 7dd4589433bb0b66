"""Wire shapes of `/api/events/webhooks`, with Open WebUI's field names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from owlet.core.validation import CleanText, Form

Url = Annotated[CleanText, StringConstraints(min_length=1, max_length=2048)]
EventName = Annotated[CleanText, StringConstraints(min_length=1, max_length=200)]
TargetValue = Annotated[CleanText, StringConstraints(max_length=512)]
Events = Annotated[list[EventName], Field(max_length=1000)]
Targets = Annotated[list[dict[str, TargetValue]], Field(max_length=1000)]


class WebhookUpdateForm(Form):
    """Fields left out are kept (PUT); `events: null` means every event."""

    name: Annotated[CleanText, StringConstraints(max_length=255)] | None = None
    url: Url | None = None
    enabled: bool | None = None
    events: Events | None = None
    targets: Targets | None = None


class WebhookForm(WebhookUpdateForm):
    url: Url
    enabled: bool = True


class WebhookModel(BaseModel):
    id: str
    name: str
    url: str
    enabled: bool
    events: list[str]
    targets: list[dict[str, str]] | None
    created_at: int
    updated_at: int
