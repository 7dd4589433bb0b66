"""Wire shapes of `/api/v1/folders`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from owlet.access.schemas import GrantForm, GrantModel
from owlet.core.validation import CleanText, Form, Identifier, JsonObject

FolderName = Annotated[
    CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]


class FolderForm(Form):
    model_config = ConfigDict(extra="forbid")

    name: FolderName
    data: JsonObject | None = None
    meta: JsonObject | None = None
    parent_id: Identifier | None = None


class FolderUpdateForm(Form):
    model_config = ConfigDict(extra="forbid")

    name: FolderName | None = None
    data: JsonObject | None = None
    meta: JsonObject | None = None


class FolderParentForm(Form):
    parent_id: Identifier | None = None


class FolderExpandedForm(Form):
    is_expanded: bool


class FolderAccessForm(Form):
    access_grants: list[GrantForm] = Field(default_factory=list, max_length=1000)


class FolderModel(BaseModel):
    id: str
    parent_id: str | None = None
    user_id: str
    name: str
    items: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    is_expanded: bool = False
    created_at: int
    updated_at: int


class FolderAccessModel(FolderModel):
    access_grants: list[dict[str, Any]] | None = None


class FolderDetail(FolderAccessModel):
    """GET /folders/{id}: also whether the caller may change it."""

    write_access: bool = False


class FolderListItem(BaseModel):
    id: str
    name: str
    meta: dict[str, Any] | None = None
    parent_id: str | None = None
    is_expanded: bool = False
    unread_count: int = 0
    created_at: int
    updated_at: int


class SharedFolder(BaseModel):
    """Another user's folder the caller holds a grant on (`GET /shared`)."""

    id: str
    name: str
    parent_id: str | None
    user_id: str
    owner_name: str
    permission: str  # read or write
    access_grants: list[GrantModel]
    is_expanded: bool
    meta: dict[str, Any] | None
    created_at: int
    updated_at: int


class SharedFolderChat(BaseModel):
    id: str
    title: str
    updated_at: int
    created_at: int
    last_read_at: int | None
    active: bool
    readonly: bool  # the caller may not change the folder


class FolderReadResponse(BaseModel):
    folder_id: str
    folder_ids: list[str]  # the folder and everything under it
    updated_count: int
    folder_unread_counts: dict[str, int]
