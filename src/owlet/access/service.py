"""The caller as an access-control principal (their id, role and groups)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access.rules import Principal
from owlet.groups import repository as groups
from owlet.tables import User


async def principal_for(session: AsyncSession, user: User) -> Principal:
    group_ids = await groups.group_ids_by_user(session, [user.id])
    return Principal(user.id, user.role, frozenset(group_ids.get(user.id, [])))
