"""SQL for the `model` table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, asc, delete, desc, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.db.locks import fetch
from owlet.tables import Model, User

ORDERABLE = {"name": Model.name, "created_at": Model.created_at, "updated_at": Model.updated_at}


async def get(session: AsyncSession, model_id: str, lock: bool = False) -> Model | None:
    """The record; with `lock`, write-locked first, for a change that depends on what is read."""
    return await fetch(session, Model, model_id, lock)


async def all_models(session: AsyncSession) -> Sequence[Model]:
    return (await session.scalars(select(Model).order_by(Model.created_at, Model.id))).all()


async def by_owner(session: AsyncSession, user_id: str) -> Sequence[Model]:
    stmt = select(Model).where(Model.user_id == user_id).order_by(Model.created_at, Model.id)
    return (await session.scalars(stmt)).all()


async def insert(session: AsyncSession, model: Model) -> Model:
    session.add(model)
    await session.flush()
    return model


async def delete_model(session: AsyncSession, model_id: str) -> None:
    await session.execute(delete(Model).where(Model.id == model_id))


async def delete_all(session: AsyncSession) -> None:
    await session.execute(delete(Model))


def presets(query: str | None, order_by: str | None, direction: str | None) -> Select[Any]:
    stmt = select(Model).where(Model.base_model_id.is_not(None))
    if query:
        needle = query.lower()
        owners = select(User.id).where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),
            )
        )
        stmt = stmt.where(
            or_(
                func.lower(Model.name).contains(needle, autoescape=True),
                func.lower(Model.base_model_id).contains(needle, autoescape=True),
                Model.user_id.in_(owners),
            )
        )
    order = asc if (direction or "").lower() == "asc" else desc
    column = ORDERABLE.get(order_by or "", Model.updated_at)
    return stmt.order_by(order(column), Model.id)


async def run(session: AsyncSession, stmt: Select[Any]) -> Sequence[Model]:
    return (await session.scalars(stmt)).all()


async def owners(session: AsyncSession, user_ids: Sequence[str]) -> dict[str, User]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(set(user_ids))))
    return {u.id: u for u in rows.all()}
