"""SQL for `access_grant`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access.rules import Principal
from owlet.access.schemas import GrantForm
from owlet.core.clock import new_id, now
from owlet.tables import AccessGrant


async def for_resources(
    session: AsyncSession, resource_type: str, resource_ids: Iterable[str]
) -> dict[str, list[AccessGrant]]:
    ids = list(resource_ids)
    result: dict[str, list[AccessGrant]] = {rid: [] for rid in ids}
    if not ids:
        return result
    rows = await session.scalars(
        select(AccessGrant)
        .where(AccessGrant.resource_type == resource_type, AccessGrant.resource_id.in_(ids))
        .order_by(AccessGrant.created_at, AccessGrant.id)
    )
    for grant in rows.all():
        result[grant.resource_id].append(grant)
    return result


def held_by(principal: Principal) -> ColumnElement[bool]:
    """Grants naming the principal: the user, everyone (`user:*`), or one of their groups."""
    return or_(
        and_(
            AccessGrant.principal_type == "user",
            AccessGrant.principal_id.in_([principal.user_id, "*"]),
        ),
        and_(
            AccessGrant.principal_type == "group",
            AccessGrant.principal_id.in_(list(principal.group_ids)),
        ),
    )


def readable_ids(resource_type: str, principal: Principal) -> Select[str]:
    """The ids of resources of a type the principal holds a read (or write) grant on."""
    return select(AccessGrant.resource_id).where(
        AccessGrant.resource_type == resource_type, held_by(principal)
    )


async def for_resource(
    session: AsyncSession, resource_type: str, resource_id: str
) -> Sequence[AccessGrant]:
    return (await for_resources(session, resource_type, [resource_id]))[resource_id]


async def replace(
    session: AsyncSession, resource_type: str, resource_id: str, grants: Iterable[GrantForm]
) -> None:
    await delete_for(session, resource_type, resource_id)
    stamp = now()
    unique = {(g.principal_type, g.principal_id, g.permission) for g in grants}
    for principal_type, principal_id, permission in sorted(unique):
        session.add(
            AccessGrant(
                id=new_id(),
                resource_type=resource_type,
                resource_id=resource_id,
                principal_type=principal_type,
                principal_id=principal_id,
                permission=permission,
                created_at=stamp,
            )
        )
    await session.flush()


async def delete_for(session: AsyncSession, resource_type: str, resource_id: str) -> None:
    await session.execute(
        delete(AccessGrant).where(
            AccessGrant.resource_type == resource_type, AccessGrant.resource_id == resource_id
        )
    )


async def delete_for_any(session: AsyncSession, resource_type: str, ids: Select[Any]) -> None:
    """The grants on every resource whose id the one-column select `ids` yields."""
    await session.execute(
        delete(AccessGrant).where(
            AccessGrant.resource_type == resource_type, AccessGrant.resource_id.in_(ids)
        )
    )


async def delete_all(session: AsyncSession, resource_type: str) -> None:
    await session.execute(delete(AccessGrant).where(AccessGrant.resource_type == resource_type))
