"""Wire shapes of `/api/v1/users`, with Open WebUI's field names."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from owlet.core.validation import EmailText, Form, Name, Password, ProfileImageUrl, ShortText

Role = Literal["pending", "user", "admin"]


class UserModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    username: str | None = None
    role: str
    name: str
    profile_image_url: str
    profile_banner_image_url: str | None = None
    bio: str | None = None
    gender: str | None = None
    date_of_birth: dt.date | None = None
    timezone: str | None = None
    presence_state: str | None = None
    status_emoji: str | None = None
    status_message: str | None = None
    status_expires_at: int | None = None
    info: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    oauth: dict[str, Any] | None = None
    scim: dict[str, Any] | None = None
    last_active_at: int
    updated_at: int
    created_at: int


class UserListItem(UserModel):
    group_ids: list[str] = Field(default_factory=list)


class UserListResponse(BaseModel):
    users: list[UserListItem]
    total: int


class GroupRef(BaseModel):
    id: str
    name: str


class UserWithGroups(UserModel):
    groups: list[GroupRef] = Field(default_factory=list)
    is_active: bool = False


class UserInfoResponse(BaseModel):
    id: str
    name: str
    email: str
    role: str
    bio: str | None = None
    last_active_at: int
    timezone: str | None = None
    groups: list[GroupRef] = Field(default_factory=list)
    is_active: bool = False
    status_emoji: str | None = None
    status_message: str | None = None
    status_expires_at: int | None = None


class UserInfoListResponse(BaseModel):
    users: list[UserInfoResponse]
    total: int


class UserUpdateForm(Form):
    role: Role | None = None
    name: Name | None = None
    email: EmailText | None = None
    profile_image_url: ProfileImageUrl | None = None
    password: Password | None = None


class UserSettings(Form):
    model_config = ConfigDict(extra="allow")

    ui: dict[str, Any] | None = Field(default_factory=dict)


class UserStatusForm(Form):
    status_emoji: str | None = Field(default=None, max_length=64)
    status_message: ShortText | None = None
    status_expires_at: int | None = None


class UserVariablesForm(Form):
    variables: dict[str, str]


class UserVariablesResponse(BaseModel):
    variables: dict[str, str]


class ActiveResponse(BaseModel):
    active: bool
