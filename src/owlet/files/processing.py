"""Processing of uploaded files: a bounded queue; the state lives in the database.

Each file goes `pending` → `processing` → `completed` (text extracted, chunked, embedded
into the collection `file-<id>`) or `failed` (with `error`). At most
`FILE_PROCESSING_CONCURRENCY` files are processed at once per worker, and the blocking
extraction and embedding run in threads, so the event loop stays free. A server that stops
mid-way finds its `pending`/`processing` files again at start-up and processes them anew;
with several workers each may pick them up, which is harmless (the result is the same).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from owlet.config.store import ConfigStore
from owlet.core.clock import now
from owlet.db.locks import fetch
from owlet.db.retry import is_busy, retry_busy
from owlet.files.extract import Unsupported, extract
from owlet.files.storage import Storage
from owlet.retrieval.embedders import EmbeddingError
from owlet.retrieval.index import Retrieval, file_collection
from owlet.tables import File, Knowledge, KnowledgeFile

log = logging.getLogger(__name__)

PENDING, PROCESSING, COMPLETED, FAILED = "pending", "processing", "completed", "failed"
TERMINAL = (COMPLETED, FAILED)
REQUEUE_AFTER = 30.0  # seconds before a file whose status could not be written is tried again


def knowledge_target() -> Any:
    """The knowledge base a file was uploaded for (`metadata.knowledge_id`), as a column."""
    return File.meta["data"]["knowledge_id"].as_string()


class FileProcessor:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[Any],
        storage: Storage,
        concurrency: int,
        retrieval: Retrieval,
        config: ConfigStore,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.concurrency = concurrency
        self.retrieval = retrieval
        self.config = config
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    def submit(self, file_id: str) -> None:
        """Process later, in the background."""
        if not self._workers:
            self._workers = [
                asyncio.create_task(self._work(), name=f"file-worker-{i}")
                for i in range(self.concurrency)
            ]
        self._queue.put_nowait(file_id)

    async def recover(self) -> int:
        """Queue the files a previous run left unfinished."""
        status = File.data["status"].as_string()
        stmt = select(File.id).where(or_(status == PENDING, status == PROCESSING))
        async with self.sessionmaker() as session:
            ids = list((await session.scalars(stmt)).all())
        for file_id in ids:
            self.submit(file_id)
        if ids:
            log.info("resuming the processing of %d file(s)", len(ids))
        return len(ids)

    async def index(self, file_id: str, filename: str, text: str, digest: str | None) -> int:
        """The file's chunks and vectors, in its own collection (replacing earlier ones)."""
        collection = file_collection(file_id)
        config = await self.config.fresh()
        async with self.sessionmaker() as session:
            row = await session.get(File, file_id)
            meta = dict(row.meta or {}) if row is not None else {}
            owner = row.user_id if row is not None else None
        # Each chunk says where it came from, with the fields Open WebUI's citations carry.
        metadata = {
            "file_id": file_id, "name": filename, "source": filename, "hash": digest,
            "content_type": meta.get("content_type") or "", "size": meta.get("size") or 0,
            "created_by": owner, "file_hash": meta.get("file_hash") or digest,
            "collection_name": collection,
        }  # fmt: skip
        # Embed first: if that fails, the file keeps its earlier vectors.
        items, vectors = await self.retrieval.embed_chunks(config, collection, text, metadata)
        await self.retrieval.store.drop(collection)
        await self.retrieval.store.add(collection, items, vectors)
        return len(items)

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            file_id = await self._queue.get()
            try:
                await self.process(file_id)
            except Exception as exc:
                log.exception("processing file %s failed", file_id)
                if is_busy(exc):  # still busy after every retry: queue it again, later
                    asyncio.get_running_loop().call_later(REQUEUE_AFTER, self.submit, file_id)
            finally:
                self._queue.task_done()

    async def process(self, file_id: str) -> None:
        """Extract the file's text now; the row says how it went. The two writes of the
        status are tried again while the database is busy: a file is never left `pending`
        or `processing` by a lost race for the write lock."""
        started = await retry_busy(lambda: self._start(file_id), f"starting file {file_id}")
        if started is None:
            return
        path, filename, content_type, kb_id = started
        result, digest = await self._run(file_id, path, filename, content_type, kb_id)
        await retry_busy(
            lambda: self._finish(file_id, result, digest, kb_id), f"finishing file {file_id}"
        )

    async def _start(self, file_id: str) -> tuple[Path, str, str, str | None] | None:
        async with self.sessionmaker() as session:
            # Locked: a delete meanwhile waits for this, or this reads that it won.
            row = await fetch(session, File, file_id, lock=True)
            if row is None or row.path is None:
                return None
            row.data = {**row.data, "status": PROCESSING}
            row.updated_at = now()
            path, filename = self.storage.local_path(row.path), row.filename
            content_type = str(row.meta.get("content_type") or "")
            target = (row.meta.get("data") or {}).get("knowledge_id")
            kb_id = target if isinstance(target, str) and target else None
            await session.commit()
        return path, filename, content_type, kb_id

    async def _run(
        self, file_id: str, path: Path, filename: str, content_type: str, kb_id: str | None
    ) -> tuple[dict[str, Any], str | None]:
        """Extract, chunk and embed: the row's new status fields, and the text's digest."""
        try:
            text = await anyio.to_thread.run_sync(extract, path, filename, content_type)
            digest: str | None = hashlib.sha256(text.encode()).hexdigest()
            await self.index(file_id, filename, text, digest)
            if kb_id is not None:  # it stays `processing` until it is in the knowledge base
                await self.retrieval.store.delete(kb_id, "file_id", file_id)
                await self.retrieval.copy(file_collection(file_id), kb_id, {})
            result: dict[str, Any] = {"status": COMPLETED, "content": text, "error": None}
        except Unsupported as exc:
            result, digest = {"status": FAILED, "error": str(exc)}, None
        except EmbeddingError as exc:
            result, digest = {"status": FAILED, "error": str(exc)}, None
        except OSError as exc:
            result, digest = {"status": FAILED, "error": f"The file could not be read: {exc}"}, None
        except ValueError as exc:  # e.g. the knowledge base holds another model's vectors
            result, digest = {"status": FAILED, "error": str(exc)}, None
        except Exception:  # never leave a file `processing` for good
            log.exception("processing file %s failed", file_id)
            result, digest = {"status": FAILED, "error": "Processing failed unexpectedly."}, None
        return result, digest

    async def _finish(
        self, file_id: str, result: dict[str, Any], digest: str | None, kb_id: str | None
    ) -> None:
        async with self.sessionmaker() as session:
            row = await fetch(session, File, file_id, lock=True)
            if row is None:
                return  # deleted meanwhile
            data = {k: v for k, v in row.data.items() if k not in ("error", "content")}
            row.data = {**data, **result}
            if result["status"] == COMPLETED:  # where its vectors are, as Open WebUI says
                row.meta = {**(row.meta or {}), "collection_name": file_collection(file_id)}
            row.hash = digest
            row.updated_at = now()
            if kb_id is not None and result["status"] == COMPLETED:
                await self._link(session, row, kb_id)
            await session.commit()

    async def _link(self, session: Any, row: File, kb_id: str) -> None:
        """The knowledge link of a file uploaded for it, unless the base is gone or has it."""
        if await session.get(Knowledge, kb_id) is None:
            await self.retrieval.store.delete(kb_id, "file_id", row.id)
            return
        if await session.get(KnowledgeFile, (kb_id, row.id)) is None:
            session.add(KnowledgeFile(knowledge_id=kb_id, file_id=row.id,
                                      user_id=row.user_id, created_at=now()))  # fmt: skip
