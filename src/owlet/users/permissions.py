"""A user's effective permissions: the defaults OR'd with every group they belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.permissions import has_permission, merge_permissions
from owlet.config.store import ConfigStore
from owlet.groups import repository as groups


async def effective(session: AsyncSession, config: ConfigStore, user_id: str) -> dict[str, Any]:
    grants = await groups.permissions_for_user(session, user_id)
    return merge_permissions(config.get("user.permissions") or {}, grants)


def has(permissions: dict[str, Any], dotted: str) -> bool:
    return has_permission(permissions, dotted)
