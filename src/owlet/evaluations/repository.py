"""SQL for `feedback`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.db.locks import fetch
from owlet.tables import Feedback, User


def _model_id() -> ColumnElement[str]:
    return Feedback.data["model_id"].as_string()


# The admin list's sort keys (the web client's column headers) and what each sorts by.
ORDER_KEYS: dict[str, Any] = {
    "updated_at": lambda: Feedback.updated_at,
    "created_at": lambda: Feedback.created_at,
    "username": lambda: func.lower(User.name),
    "model_id": _model_id,
    "rating": lambda: Feedback.data["rating"].as_integer(),
}


async def get(session: AsyncSession, feedback_id: str, lock: bool = False) -> Feedback | None:
    """The rating; with `lock`, write-locked first, for a change that depends on what is read."""
    return await fetch(session, Feedback, feedback_id, lock)


async def insert(session: AsyncSession, feedback: Feedback) -> Feedback:
    session.add(feedback)
    await session.flush()
    return feedback


async def delete_one(session: AsyncSession, feedback_id: str) -> bool:
    result = await session.execute(delete(Feedback).where(Feedback.id == feedback_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_all(session: AsyncSession, user_id: str | None = None) -> int:
    stmt = delete(Feedback)
    if user_id is not None:
        stmt = stmt.where(Feedback.user_id == user_id)
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def for_user(
    session: AsyncSession, user_id: str, offset: int, limit: int | None
) -> Sequence[Feedback]:
    stmt = (
        select(Feedback)
        .where(Feedback.user_id == user_id)
        .order_by(Feedback.updated_at.desc(), Feedback.id)
        .offset(offset)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def page_with_users(
    session: AsyncSession,
    *,
    model_id: str | None,
    order_by: str,
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[Sequence[tuple[Feedback, User | None]], int]:
    """One page of every user's feedback, with its author, and how many match in all."""
    where = [] if model_id is None else [_model_id() == model_id]
    key = ORDER_KEYS[order_by]()
    stmt = (
        select(Feedback, User)
        .join(User, User.id == Feedback.user_id, isouter=True)
        .where(*where)
        .order_by(key.desc() if descending else key.asc(), Feedback.id)
        .offset(offset)
        .limit(limit)
    )
    rows = [(feedback, user) for feedback, user in (await session.execute(stmt)).all()]
    total = await session.scalar(select(func.count()).select_from(Feedback).where(*where))
    return rows, int(total or 0)


async def all_feedback(session: AsyncSession, model_id: str | None = None) -> Sequence[Feedback]:
    stmt = select(Feedback).order_by(Feedback.created_at, Feedback.id)
    if model_id is not None:
        stmt = stmt.where(_model_id() == model_id)
    return (await session.scalars(stmt)).all()


async def ids(session: AsyncSession) -> Sequence[Any]:
    stmt = select(Feedback.id, Feedback.user_id, Feedback.created_at, Feedback.updated_at)
    return (await session.execute(stmt.order_by(Feedback.created_at, Feedback.id))).all()


async def model_ids(session: AsyncSession) -> list[str]:
    stmt = select(_model_id()).where(_model_id().is_not(None)).distinct()
    return sorted(str(m) for m in (await session.scalars(stmt)).all())


async def rating_data(session: AsyncSession) -> Sequence[dict[str, Any] | None]:
    """The `data` of every rating, oldest first (the order Elo ratings are played in)."""
    stmt = (
        select(Feedback.data)
        .where(Feedback.type == "rating")
        .order_by(Feedback.created_at, Feedback.id)
    )
    return (await session.scalars(stmt)).all()


async def rating_rows(
    session: AsyncSession, since: int | None
) -> Sequence[tuple[int, dict[str, Any] | None]]:
    """(created_at, data) of every rating made at or after `since` (None: ever)."""
    stmt = select(Feedback.created_at, Feedback.data).where(Feedback.type == "rating")
    if since is not None:
        stmt = stmt.where(Feedback.created_at >= since)
    rows = await session.execute(stmt.order_by(Feedback.created_at, Feedback.id))
    return [(int(created_at), data) for created_at, data in rows.all()]
