"""Who may read or write a resource, and which grants a caller may hand out (reference §3.4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from owlet.access.schemas import GrantForm
from owlet.config.permissions import has_permission


class GrantLike(Protocol):
    principal_type: str
    principal_id: str
    permission: str


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    group_ids: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def grants_allow(principal: Principal, grants: Iterable[GrantLike], permission: str) -> bool:
    """True when a grant gives `permission` (a write grant also gives read)."""
    for grant in grants:
        if permission == "write" and grant.permission != "write":
            continue
        if grant.principal_type == "user" and grant.principal_id in ("*", principal.user_id):
            return True
        if grant.principal_type == "group" and grant.principal_id in principal.group_ids:
            return True
    return False


def can_access(
    principal: Principal, owner_id: str | None, grants: Iterable[GrantLike], permission: str
) -> bool:
    return owner_id == principal.user_id or grants_allow(principal, grants, permission)


def allowed_grants(
    principal: Principal,
    permissions: dict[str, Any],
    resource: str,
    grants: Iterable[GrantForm],
    *,
    shared_chat: bool = False,
) -> list[GrantForm]:
    """The grants a caller may save; the others are dropped silently, as Open WebUI does."""
    kept = []
    for grant in grants:
        if grant.principal_type == "anyone":
            if shared_chat and (
                principal.is_admin or has_permission(permissions, "sharing.open_chats")
            ):
                kept.append(grant)
            continue
        if principal.is_admin:
            kept.append(grant)
        elif grant.principal_type == "user" and grant.principal_id == "*":
            if has_permission(permissions, f"sharing.public_{resource}"):
                kept.append(grant)
        elif grant.principal_type == "user":
            if has_permission(permissions, "access_grants.allow_users"):
                kept.append(grant)
        elif has_permission(permissions, "access_grants.allow_groups"):
            kept.append(grant)
    return kept
