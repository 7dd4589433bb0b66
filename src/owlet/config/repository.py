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
