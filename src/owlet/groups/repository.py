"""SQL for `group` and `group_member`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.core.clock import new_id, now
from owlet.db.locks import fetch
from owlet.tables import Group, GroupMember, User


async def get(session: AsyncSession, group_id: str, lock: bool = False) -> Group | None:
    """The group; with `lock`, write-locked first, for a change that depends on what is read."""
    return await fetch(session, Group, group_id, lock)


async def insert(session: AsyncSession, group: Group) -> Group:
    session.add(group)
    await session.flush()
    return group


async def delete_group(session: AsyncSession, group_id: str) -> None:
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    await session.execute(delete(Group).where(Group.id == group_id))


async def list_all(session: AsyncSession) -> Sequence[Group]:
    return (await session.scalars(select(Group).order_by(Group.created_at, Group.id))).all()


async def list_by_names(session: AsyncSession, names: Iterable[str]) -> Sequence[Group]:
    wanted = list(names)
    if not wanted:
        return []
    return (await session.scalars(select(Group).where(Group.name.in_(wanted)))).all()


async def list_for_user(session: AsyncSession, user_id: str) -> Sequence[Group]:
    stmt = (
        select(Group)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.user_id == user_id)
        .order_by(Group.created_at, Group.id)
    )
    return (await session.scalars(stmt)).all()


async def permissions_for_user(session: AsyncSession, user_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(Group.permissions)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.user_id == user_id)
    )
    return [p for p in (await session.scalars(stmt)).all() if p]


async def group_ids_by_user(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(GroupMember.user_id, GroupMember.group_id).where(GroupMember.user_id.in_(ids))
    )
    result: dict[str, list[str]] = {uid: [] for uid in ids}
    for user_id, group_id in rows.all():
        result[user_id].append(group_id)
    return result


async def member_counts(session: AsyncSession, group_ids: Iterable[str]) -> dict[str, int]:
    ids = list(group_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(GroupMember.group_id, func.count())
        .where(GroupMember.group_id.in_(ids))
        .group_by(GroupMember.group_id)
    )
    counts = {gid: 0 for gid in ids}
    counts.update({gid: int(n) for gid, n in rows.all()})
    return counts


async def member_ids(session: AsyncSession, group_id: str) -> list[str]:
    rows = await session.scalars(
        select(GroupMember.user_id).where(GroupMember.group_id == group_id)
    )
    return list(rows.all())


async def members(session: AsyncSession, group_id: str) -> Sequence[User]:
    stmt = (
        select(User)
        .join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group_id)
        .order_by(User.name, User.id)
    )
    return (await session.scalars(stmt)).all()


async def is_member(session: AsyncSession, group_id: str, user_id: str) -> bool:
    stmt = select(GroupMember.id).where(
        GroupMember.group_id == group_id, GroupMember.user_id == user_id
    )
    return await session.scalar(stmt) is not None


async def add_members(session: AsyncSession, group_id: str, user_ids: Iterable[str]) -> None:
    wanted = set(user_ids)
    if not wanted:
        return
    known = set((await session.scalars(select(User.id).where(User.id.in_(wanted)))).all())
    present = set(await member_ids(session, group_id))
    stamp = now()
    for user_id in sorted(known - present):
        session.add(
            GroupMember(
                id=new_id(), group_id=group_id, user_id=user_id, created_at=stamp, updated_at=stamp
            )
        )
    await session.flush()


async def remove_members(session: AsyncSession, group_id: str, user_ids: Iterable[str]) -> None:
    ids = list(user_ids)
    if ids:
        await session.execute(
            delete(GroupMember).where(
                GroupMember.group_id == group_id, GroupMember.user_id.in_(ids)
            )
        )


async def by_names(session: AsyncSession, names: Iterable[str]) -> Sequence[Group]:
    wanted = list(names)
    if not wanted:
        return []
    stmt = select(Group).where(Group.name.in_(wanted)).order_by(Group.created_at, Group.id)
    return (await session.scalars(stmt)).all()
