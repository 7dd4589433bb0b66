"""SQL for the `user` table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, asc, case, delete, desc, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.db.locks import fetch
from owlet.tables import GroupMember, User

ORDERABLE = {
    "name": User.name,
    "email": User.email,
    "created_at": User.created_at,
    "last_active_at": User.last_active_at,
    "updated_at": User.updated_at,
    "role": User.role,
}


async def get(session: AsyncSession, user_id: str, lock: bool = False) -> User | None:
    """The account; with `lock`, write-locked first, for a change that depends on what is read."""
    return await fetch(session, User, user_id, lock)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def count_except_email(session: AsyncSession, email: str) -> int:
    stmt = select(func.count()).select_from(User).where(User.email != email)
    return int(await session.scalar(stmt) or 0)


async def active_since(session: AsyncSession, stamp: int) -> int:
    """Users seen (a request or a socket heartbeat) at or after `stamp`."""
    stmt = select(func.count()).select_from(User).where(User.last_active_at >= stamp)
    return int(await session.scalar(stmt) or 0)


async def any_exist(session: AsyncSession) -> bool:
    return await session.scalar(select(User.id).limit(1)) is not None


async def insert(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def delete_user(session: AsyncSession, user_id: str) -> bool:
    result = await session.execute(delete(User).where(User.id == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def first_user_id(session: AsyncSession) -> str | None:
    """The primary admin; for data without that mark, the earliest user (admin wins a tie)."""
    marked = await session.scalar(select(User.id).where(User.primary_admin.is_(True)).limit(1))
    if marked is not None:
        return marked
    return await session.scalar(
        select(User.id)
        .order_by(User.created_at.asc(), case((User.role == "admin", 0), else_=1), User.id)
        .limit(1)
    )


async def lock_signups(session: AsyncSession) -> None:
    """Serialize sign-ups so "first user becomes admin" holds under concurrency.

    SQLite already serializes writers (the insert takes the write lock until commit);
    PostgreSQL needs a transaction-scoped advisory lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(5732001)"))


def _filtered(query: str | None) -> Select[Any]:
    stmt = select(User)
    if query:
        needle = query.lower()  # `%` and `_` in the query match themselves
        stmt = stmt.where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),
            )
        )
    return stmt


async def search(
    session: AsyncSession,
    *,
    query: str | None,
    order_by: str | None,
    direction: str | None,
    offset: int,
    limit: int | None,
) -> tuple[Sequence[User], int]:
    stmt = _filtered(query)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    order = asc if (direction or "").lower() == "asc" else desc
    if order_by and order_by.startswith("group_id:"):
        group_id = order_by.split(":", 1)[1]
        member = (
            select(GroupMember.user_id).where(GroupMember.group_id == group_id).scalar_subquery()
        )
        stmt = stmt.order_by(case((User.id.in_(member), 0), else_=1), User.created_at.desc())
    elif order_by in ORDERABLE:
        stmt = stmt.order_by(order(ORDERABLE[order_by]), User.id)
    else:
        stmt = stmt.order_by(User.created_at.desc(), User.id)
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return (await session.scalars(stmt)).all(), total


async def all_users(session: AsyncSession) -> Sequence[User]:
    return (await session.scalars(select(User).order_by(User.created_at.desc()))).all()
