"""Reading a provider's claims: nested claim paths, roles, groups, allowed email domains."""

from __future__ import annotations

import fnmatch
from typing import Any

from owlet.auth.oauth.settings import OAuthSettings, split_list


class RoleRefused(Exception):
    """The claims name roles, none of them allowed."""


def claim(claims: dict[str, Any], path: str) -> Any:
    """`a.b.c` reads nested objects; a key that itself holds dots is tried first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def as_list(value: Any, separator: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_list(value, separator)
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def domain_allowed(settings: OAuthSettings, email: str, verified: bool) -> bool:
    """Any address when any domain is allowed; else a listed domain the provider vouches for
    (an unverified address is anyone's to set)."""
    allowed = settings.allowed_domains
    if not allowed or "*" in allowed:
        return True
    return verified and email.rsplit("@", 1)[-1].lower() in allowed


def mapped_role(settings: OAuthSettings, claims: dict[str, Any], default: str) -> str:
    """ENABLE_OAUTH_ROLE_MANAGEMENT: admin for an admin role, user for an allowed one,
    `default` when the claim is empty; RoleRefused when roles are named but none fits."""
    roles = as_list(claim(claims, settings.oauth_roles_claim), settings.oauth_roles_separator)
    if not roles:
        return default
    admin_roles = split_list(settings.oauth_admin_roles)
    allowed_roles = split_list(settings.oauth_allowed_roles)
    if any(r in admin_roles for r in roles):
        return "admin"
    if "*" in allowed_roles or any(r in allowed_roles for r in roles):
        return "user"
    raise RoleRefused(roles)


def claimed_groups(settings: OAuthSettings, claims: dict[str, Any]) -> list[str]:
    """Group names from the claim, without blocked ones (OAUTH_BLOCKED_GROUPS patterns)."""
    names = as_list(claim(claims, settings.oauth_group_claim), settings.oauth_groups_separator)
    return [n for n in dict.fromkeys(names) if not is_blocked(settings, n)]


def is_blocked(settings: OAuthSettings, name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in settings.blocked_groups)
