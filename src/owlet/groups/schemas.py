"""Wire shapes of `/api/v1/groups`, with Open WebUI's field names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from owlet.core.validation import Form, Identifier, Name, ShortText


class GroupModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    parent_group_id: str | None = None  # Open WebUI 0.12.4 has nested groups; owlet's are flat
    user_id: str
    name: str
    description: str
    data: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    permissions: dict[str, Any] | None = None
    created_at: int
    updated_at: int


class GroupResponse(GroupModel):
    member_count: int | None = None


class GroupExportResponse(GroupResponse):
    user_ids: list[str] = Field(default_factory=list)


class GroupInfoResponse(BaseModel):
    id: str
    user_id: str
    name: str
    description: str
    member_count: int
    created_at: int
    updated_at: int


class GroupForm(Form):
    name: Name
    description: ShortText = ""
    permissions: dict[str, Any] | None = None
    data: dict[str, Any] | None = None


class UserIdsForm(Form):
    user_ids: list[Identifier] = Field(default_factory=list, max_length=10_000)
