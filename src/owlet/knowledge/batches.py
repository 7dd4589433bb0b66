"""Adding files to a knowledge base all or nothing, across a crash.

The chunks of the files being added are copied into the knowledge base's collection (the
vector store) before the request commits the links (the database): a server killed in
between would leave chunks of files the knowledge base does not hold, found by its searches.
So the request first commits a `knowledge_batch` row naming those files, and deletes it in the
same transaction that adds the links. A row still there once the lease has passed belongs to
a request that never committed: the sweep takes the chunks of its unlinked files out of the
collection and deletes the row. Like chats/recovery.py it runs after start-up (never delaying
it), at once for old rows and once more a lease later, so it never touches a batch another
worker or host is still copying.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owlet.core.clock import new_id, now
from owlet.core.leases import sweep_twice
from owlet.db.retry import retry_busy
from owlet.retrieval.store import VectorStore
from owlet.tables import KnowledgeBatch, KnowledgeFile

log = logging.getLogger(__name__)

LEASE = 120  # seconds: far longer than copying the chunks of a batch's files takes


async def announce(
    sessionmaker: async_sessionmaker[Any], knowledge_id: str, file_ids: list[str]
) -> str:
    """Commit, in a unit of work of its own, that these files are about to be copied."""

    async def write() -> str:
        async with sessionmaker() as session:
            batch = KnowledgeBatch(id=new_id(), knowledge_id=knowledge_id, file_ids=file_ids,
                                   created_at=now())  # fmt: skip
            session.add(batch)
            await session.commit()
            return batch.id

    return await retry_busy(write, f"announcing files for knowledge {knowledge_id}")


async def settle(session: AsyncSession, batch_id: str) -> None:
    """The batch is done: in the caller's transaction, with the links it adds."""
    await session.execute(delete(KnowledgeBatch).where(KnowledgeBatch.id == batch_id))


async def undo(sessionmaker: async_sessionmaker[Any], batch_id: str) -> None:
    """The request failed and took its chunks out itself: the row goes too (best effort; a
    row left here only costs the sweep a few no-op deletes)."""
    try:
        async with sessionmaker() as session:
            await settle(session, batch_id)
            await session.commit()
    except Exception:
        log.exception("could not delete knowledge batch %s", batch_id)


async def take_back(sessionmaker: async_sessionmaker[Any], store: VectorStore, before: int) -> int:
    """Undo every batch announced before `before` that never committed; how many."""
    async with sessionmaker() as session:
        stmt = select(KnowledgeBatch).where(KnowledgeBatch.created_at < before)
        batches = list((await session.scalars(stmt)).all())
        for batch in batches:
            linked = set(
                await session.scalars(
                    select(KnowledgeFile.file_id).where(
                        KnowledgeFile.knowledge_id == batch.knowledge_id,
                        KnowledgeFile.file_id.in_(batch.file_ids),
                    )
                )
            )
            for file_id in batch.file_ids:
                if file_id not in linked:
                    await store.delete(batch.knowledge_id, "file_id", file_id)
            await session.delete(batch)
        await session.commit()
    if batches:
        log.info("took back %d knowledge batch(es) a stopped server left half-added", len(batches))
    return len(batches)


async def sweep(sessionmaker: async_sessionmaker[Any], store: VectorStore) -> None:
    """The start-up sweep and the one after the lease (see the module docstring)."""
    await sweep_twice(
        "taking back half-added knowledge batches",
        LEASE,
        lambda before: take_back(sessionmaker, store, before),
    )
