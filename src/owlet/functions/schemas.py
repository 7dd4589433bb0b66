"""Wire shapes of `/api/v1/functions` answers (reference §7.1)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FunctionModel(BaseModel):
    """A function as lists show it (no source)."""

    version_id: str
    id: str
    user_id: str
    type: str  # pipe, filter or action
    name: str
    meta: dict[str, Any]  # {description, manifest, toggle}
    is_active: bool
    is_global: bool
    updated_at: int
    created_at: int


class FunctionWithContent(FunctionModel):
    """One function (get, update, toggles): also its source."""

    content: str


class FunctionExportItem(FunctionWithContent):
    """An exported function: with `include_valves`, also its valves."""

    valves: dict[str, Any] | None = None


class FunctionOwner(BaseModel):
    """Null fields when the owner's account is gone."""

    id: str
    name: str | None
    role: str | None
    email: str | None


class FunctionWithUser(FunctionModel):
    user: FunctionOwner


class LoadedSource(BaseModel):
    """`/load/url`: the source to review before `create`."""

    name: str
    content: str
