"""Row write locks taken before a read that a write in the same transaction depends on."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def lock_rows(session: AsyncSession, model: type[Any], where: ColumnElement[bool]) -> None:
    """Hold the write lock on `model`'s rows matching `where` until the transaction ends.

    Without it a request reads a row, a concurrent one deletes it and commits, and the first
    one's update of the row it read matches nothing (StaleDataError: a 500). With it the two
    run one after the other, and the later one reads what the earlier one left (a 404 when
    the row is gone).

    PostgreSQL locks the rows (in primary-key order, so two bulk lockers cannot deadlock)
    `FOR NO KEY UPDATE`: other writers of them wait, inserts that reference them do not;
    SQLite has one write lock for the whole database, which its driver takes at the first
    write statement, so an update of no row takes it here without rewriting anything.
    """
    key = inspect(model).primary_key
    if session.get_bind().dialect.name == "postgresql":
        locked = select(*key).where(where).order_by(*key).with_for_update(key_share=True)
        await session.execute(locked)
    else:
        await session.execute(update(model).where(false()).values({key[0].key: key[0]}))


async def fetch(session: AsyncSession, model: type[T], key: Any, lock: bool = False) -> T | None:
    """`session.get` of one row; with `lock`, write-locked first (see `lock_rows`), for a
    change that depends on what is read, and read again even if the session already holds
    the row (unsaved changes to it are discarded: lock before changing it)."""
    if not lock:
        return await session.get(model, key)
    if session.get_bind().dialect.name == "postgresql":
        return await session.get(
            model, key, with_for_update={"key_share": True}, populate_existing=True
        )
    (column,) = inspect(model).primary_key
    await lock_rows(session, model, column == key)
    return await session.get(model, key, populate_existing=True)
