"""Rules of `/api/v1/files`: who may read which file, uploads, and what deleting one does."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import AsyncIterator
from pathlib import PurePath
from typing import Any

from fastapi import UploadFile
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import new_id, now
from owlet.core.paging import Page
from owlet.core.validation import check_json
from owlet.db.locks import fetch
from owlet.errors import BadRequest, Messages, NotFound, PayloadTooLarge
from owlet.files.processing import PENDING
from owlet.files.storage import TooLarge
from owlet.knowledge.service import KnowledgeService
from owlet.retrieval.embedders import EmbeddingError
from owlet.retrieval.index import file_collection
from owlet.tables import File, KnowledgeFile, User

PAGE_SIZE = 50
READ_CHUNK = 1024 * 1024


def too_large(max_mb: float) -> str:
    return (
        "Oops! The file you're trying to upload is too large. "
        f"Please upload a file that is less than {max_mb:g} MB."
    )


def present(row: File, content: bool = True, path: bool = False) -> dict[str, Any]:
    data = dict(row.data or {})
    if not content:
        data.pop("content", None)
    body = {
        "id": row.id,
        "user_id": row.user_id,
        "hash": row.hash,
        "filename": row.filename,
        "data": data,
        "meta": row.meta,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
    if path:
        body["path"] = row.path
    return body


def parse_metadata(raw: str | None) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
        check_json(value)
    except (ValueError, RecursionError):
        raise BadRequest("[ERROR: Invalid metadata format]") from None
    if not isinstance(value, dict):
        raise BadRequest("[ERROR: Invalid metadata format]")
    return value


class FileService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config
        self.storage = container.files.storage

    def _event(self, user: User, name: str, row: File) -> None:
        """Event `name` about file `row`, for the event webhooks once this commits."""
        self.container.events.publish(
            self.session, name, actor=user, subject_id=row.id,
            data={"user_id": row.user_id, "filename": row.filename,
                  "content_type": row.meta.get("content_type"), "size": row.meta.get("size")},
        )  # fmt: skip

    async def readable(self, user: User, file_id: str, lock: bool = False) -> File:
        """Owner or admin; anyone else gets 404. `lock` for a change that depends on what is
        read (db/locks.py)."""
        row = await fetch(self.session, File, file_id, lock)
        if row is None or (row.user_id != user.id and user.role != "admin"):
            raise NotFound(Messages.NOT_FOUND)
        return row

    async def upload(
        self,
        user: User,
        upload: UploadFile,
        metadata: dict[str, Any],
        process: bool,
        background: bool,
    ) -> dict[str, Any]:
        target = metadata.get("knowledge_id")
        if target is not None:  # linked once processed: the caller must be able to add to it
            if not isinstance(target, str):
                raise BadRequest("[ERROR: Invalid metadata format]")
            knowledge = KnowledgeService(self.session, self.container, self.config)
            await knowledge.writable(user, target, lock=False)  # not held while the body arrives
        filename = (PurePath(upload.filename or "file").name or "file")[:255]
        extension = PurePath(filename).suffix.lower().lstrip(".")
        allowed = self.config.get("rag.file.allowed_extensions") or []
        if process and allowed and extension not in allowed:
            raise BadRequest(f"[ERROR: File type {extension or 'unknown'} is not allowed]")
        max_mb = self.config.get("rag.file.max_size")
        max_bytes = int(max_mb * 1024 * 1024) if max_mb else None
        try:
            stored = await self.storage.save(_chunks(upload), PurePath(filename).suffix, max_bytes)
        except TooLarge:
            raise PayloadTooLarge(too_large(max_mb)) from None
        content_type = upload.content_type or mimetypes.guess_type(filename)[0] or ""
        if content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(filename)[0] or content_type
        stamp = now()
        row = File(
            id=new_id(),
            user_id=user.id,
            hash=None,
            filename=filename,
            path=stored.key,
            data={"status": PENDING} if process else {},
            meta={
                "name": filename,
                "content_type": content_type,
                "size": stored.size,
                "file_hash": str(metadata.get("file_hash") or stored.sha256),
                "data": metadata,
            },
            created_at=stamp,
            updated_at=stamp,
        )
        self.session.add(row)
        self._event(user, "file.uploaded", row)
        try:
            await self.session.commit()  # visible to the processor (and other workers) now
        except BaseException:
            await self.storage.delete(stored.key)
            raise
        if not process:
            return present(row, path=True)
        if background:
            self.container.files.submit(row.id)
        else:
            await self.container.files.process(row.id)
            await self.session.refresh(row)
        return {"status": True, **present(row, path=True)}

    async def list_files(self, user: User, window: Page, content: bool) -> dict[str, Any]:
        where = File.user_id == user.id
        total = await self.session.scalar(select(func.count()).select_from(File).where(where))
        stmt = select(File).where(where).order_by(File.created_at.desc(), File.id)
        stmt = stmt.offset(window.offset)
        if window.limit is not None:
            stmt = stmt.limit(window.limit)
        rows = (await self.session.scalars(stmt)).all()
        return {"items": [present(r, content) for r in rows], "total": int(total or 0)}

    async def search(
        self, user: User, pattern: str, content: bool, skip: int, limit: int
    ) -> list[dict[str, Any]]:
        like = _like(pattern)
        stmt = (
            select(File)
            .where(File.user_id == user.id, func.lower(File.filename).like(like, escape="\\"))
            .order_by(File.created_at.desc(), File.id)
            .offset(skip)
            .limit(limit)
        )
        rows = (await self.session.scalars(stmt)).all()
        if not rows:
            raise NotFound("No files found matching the pattern.")
        return [present(r, content) for r in rows]

    async def count(self, user: User) -> int:
        stmt = select(func.count()).select_from(File).where(File.user_id == user.id)
        return int(await self.session.scalar(stmt) or 0)

    async def update_content(self, user: User, file_id: str, content: str) -> dict[str, Any]:
        row = await self.readable(user, file_id)
        max_mb = self.config.get("rag.file.max_size")
        if max_mb and len(content.encode()) > max_mb * 1024 * 1024:
            raise PayloadTooLarge(too_large(max_mb))
        digest = hashlib.sha256(content.encode()).hexdigest()
        filename = row.filename
        stmt = select(KnowledgeFile.knowledge_id).where(KnowledgeFile.file_id == file_id)
        holders = list((await self.session.scalars(stmt)).all())
        await self.session.commit()  # no session is held while the text is embedded
        retrieval = self.container.retrieval
        try:  # embedded first: if that fails, nothing changed
            await self.container.files.index(file_id, filename, content, digest)
            for kb_id in holders:  # knowledge bases holding the file see the new text too
                await retrieval.store.delete(kb_id, "file_id", file_id)
                await retrieval.copy(file_collection(file_id), kb_id, {})
        except (EmbeddingError, ValueError) as exc:
            raise BadRequest(str(exc)) from exc
        row = await self.readable(user, file_id, lock=True)
        row.data = {**row.data, "content": content}
        row.hash, row.updated_at = digest, now()
        return {"content": content}

    async def rename(self, user: User, file_id: str, filename: str) -> dict[str, Any]:
        row = await self.readable(user, file_id, lock=True)
        row.filename = filename
        row.meta = {**row.meta, "name": filename}
        row.updated_at = now()
        return present(row, path=True)

    async def delete(self, user: User, file_id: str) -> dict[str, str]:
        """The row, the blob, the file's vectors, and its chunks in every knowledge base."""
        row = await self.readable(user, file_id, lock=True)
        key = row.path
        stmt = select(KnowledgeFile.knowledge_id).where(KnowledgeFile.file_id == file_id)
        holders = list((await self.session.scalars(stmt)).all())
        await self.session.delete(row)
        self._event(user, "file.deleted", row)
        await self.session.commit()  # the row goes first: a blob without a row is harmless
        if key:
            await self.storage.delete(key)
        store = self.container.retrieval.store
        await store.drop(file_collection(file_id))
        for kb_id in holders:
            await store.delete(kb_id, "file_id", file_id)
        return {"message": "File deleted successfully"}

    async def delete_all(self) -> dict[str, str]:
        file_ids = list((await self.session.scalars(select(File.id))).all())
        kb_ids = list((await self.session.scalars(select(KnowledgeFile.knowledge_id))).all())
        await self.session.execute(delete(File))
        await self.session.commit()
        await self.storage.delete_all()
        store = self.container.retrieval.store
        for collection in [file_collection(i) for i in file_ids] + sorted(set(kb_ids)):
            await store.drop(collection)  # every knowledge base lost all its files
        return {"message": "All files deleted successfully"}


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(READ_CHUNK):
        yield chunk


def _like(pattern: str) -> str:
    """A shell-style pattern (`*.txt`, `report?`) as a case-insensitive LIKE pattern."""
    escaped = pattern.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = escaped.replace("*", "%").replace("?", "_")
    return like if ("%" in like or "_" in like.replace("\\_", "")) else f"%{like}%"
