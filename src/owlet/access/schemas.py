"""Wire shapes of access grants (`access_grants: [...]` on shared resources)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from owlet.core.validation import Form, Identifier

PrincipalType = Literal["user", "group", "anyone"]
Permission = Literal["read", "write"]


class GrantForm(Form):
    principal_type: PrincipalType
    principal_id: Identifier
    permission: Permission = "read"


class GrantModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    resource_type: str
    resource_id: str
    principal_type: str
    principal_id: str
    permission: str
    created_at: int
