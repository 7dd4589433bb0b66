"""SQL for the `config` table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.core.clock import now
from owlet.tables import ConfigEntry


async def load_all(session: AsyncSession) -> dict[str, Any]:
    rows = await session.execute(select(ConfigEntry.key, ConfigEntry.value))
    return {key: value for key, value in rows.all()}


async def insert_missing(session: AsyncSession, values: dict[str, Any]) -> None:
    existing = set((await session.scalars(select(ConfigEntry.key))).all())
    stamp = now()
    for key, value in values.items():
        if key not in existing:
            session.add(ConfigEntry(key=key, value=value, updated_at=stamp))
    await session.flush()


async def upsert(session: AsyncSession, values: dict[str, Any]) -> None:
    stamp = now()
    for key, value in values.items():
        await session.merge(ConfigEntry(key=key, value=value, updated_at=stamp))
    await session.flush()


async def get_value(session: AsyncSession, key: str, default: Any = None) -> Any:
    """The stored value of one key, read now (not through the store's cache)."""
    row = await session.scalar(select(ConfigEntry.value).where(ConfigEntry.key == key))
    if row is None:
        exists = await session.scalar(select(ConfigEntry.key).where(ConfigEntry.key == key))
        return default if exists is None else None
    return row
