"""Rules of `/api/v1/knowledge`: who reads and writes a knowledge base, and linking files.

A knowledge base's vectors live in the collection named by its id; a linked file's chunks are
copied there from `file-<id>` (no re-embedding). A knowledge base the caller may not read is
answered 404, like a missing one; one they may read but not change answers 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access import repository as grants_repository
from owlet.access.rules import Principal, allowed_grants, can_access
from owlet.access.schemas import GrantForm, GrantModel
from owlet.access.service import principal_for
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import new_id, now
from owlet.db.locks import fetch
from owlet.errors import BadRequest, Forbidden, Messages, NotFound
from owlet.files.processing import COMPLETED, PENDING, PROCESSING, knowledge_target
from owlet.knowledge import batches
from owlet.retrieval.index import file_collection
from owlet.tables import File, Knowledge, KnowledgeFile, User
from owlet.users import permissions as user_permissions

RESOURCE = "knowledge"
PAGE_SIZE = 30
EMPTY_CONTENT = (
    "The content provided is empty. Please ensure that there is text or data present "
    "before proceeding."
)


def file_metadata(row: File) -> dict[str, Any]:
    return {"id": row.id, "hash": row.hash, "meta": row.meta,
            "created_at": row.created_at, "updated_at": row.updated_at}  # fmt: skip


class KnowledgeService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config
        self.store = container.retrieval.store

    # ------------------------------------------------------------ access

    async def principal(self, user: User) -> Principal:
        return await principal_for(self.session, user)

    def _bypass(self, user: User) -> bool:
        return user.role == "admin" and self.container.settings.bypass_admin_access_control

    async def can(self, user: User, kb: Knowledge, permission: str) -> bool:
        if self._bypass(user) or kb.user_id == user.id:
            return True
        grants = await grants_repository.for_resource(self.session, RESOURCE, kb.id)
        return can_access(await self.principal(user), kb.user_id, grants, permission)

    async def readable(self, user: User, kb_id: str, lock: bool = False) -> Knowledge:
        kb = await fetch(self.session, Knowledge, kb_id, lock)
        if kb is None or not await self.can(user, kb, "read"):
            raise NotFound(Messages.NOT_FOUND)
        return kb

    async def writable(self, user: User, kb_id: str, lock: bool = True) -> Knowledge:
        """The knowledge base, write-locked for the change the caller makes (db/locks.py).

        No `lock` where the request writes through another session before it commits (on
        SQLite that session would wait for this one's lock), or holds the request open."""
        kb = await self.readable(user, kb_id, lock=lock)
        if not await self.can(user, kb, "write"):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        return kb

    async def readable_ids(self, user: User) -> list[str]:
        """Every knowledge base the caller may read (for lists and chat retrieval)."""
        if self._bypass(user):
            return list((await self.session.scalars(select(Knowledge.id))).all())
        principal = await self.principal(user)
        granted = grants_repository.readable_ids(RESOURCE, principal)
        stmt = select(Knowledge.id).where(
            or_(Knowledge.user_id == user.id, Knowledge.id.in_(granted))
        )
        return list((await self.session.scalars(stmt)).all())

    # ------------------------------------------------------------ shapes

    async def present(
        self,
        user: User,
        kb: Knowledge,
        files: Literal["list", "null", "omit"] = "list",
        write_access: bool = True,
    ) -> dict[str, Any]:
        """A knowledge base as Open WebUI 0.12.4 answers each route: `files` listed after a
        file change, null where its client fetches them from `/files`, or left out in lists;
        `write_access` where it says it."""
        grants = await grants_repository.for_resource(self.session, RESOURCE, kb.id)
        body: dict[str, Any] = {
            "id": kb.id, "user_id": kb.user_id, "name": kb.name, "description": kb.description,
            "meta": kb.meta, "created_at": kb.created_at, "updated_at": kb.updated_at,
            "access_grants": [GrantModel.model_validate(g).model_dump() for g in grants],
        }  # fmt: skip
        if files == "list":
            body["files"] = [file_metadata(f) for f in await self.files_of(kb.id)]
        elif files == "null":
            body["files"] = None
        if write_access:
            body["write_access"] = await self.can(user, kb, "write")
        return body

    async def people(self, user_ids: set[str]) -> dict[str, dict[str, Any]]:
        """{id: {id, name, role, email}} for the owners shown beside bases and files."""
        rows = (await self.session.scalars(select(User).where(User.id.in_(user_ids)))).all()
        return {u.id: {"id": u.id, "name": u.name, "role": u.role, "email": u.email} for u in rows}

    async def file_counts(self, kb_ids: list[str]) -> dict[str, int]:
        stmt = (
            select(KnowledgeFile.knowledge_id, func.count())
            .where(KnowledgeFile.knowledge_id.in_(kb_ids))
            .group_by(KnowledgeFile.knowledge_id)
        )
        return {kb_id: int(n) for kb_id, n in (await self.session.execute(stmt)).all()}

    async def files_of(self, kb_id: str) -> Sequence[File]:
        stmt = (
            select(File)
            .join(KnowledgeFile, KnowledgeFile.file_id == File.id)
            .where(KnowledgeFile.knowledge_id == kb_id)
            .order_by(KnowledgeFile.created_at, File.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def readable_files(self, user: User, query: str | None) -> Sequence[File]:
        """Each file once, from the knowledge bases the caller may read; `query` is a
        case-insensitive part of its name."""
        kb_ids = await self.readable_ids(user)
        linked = select(KnowledgeFile.file_id).where(KnowledgeFile.knowledge_id.in_(kb_ids))
        stmt = select(File).where(File.id.in_(linked)).order_by(File.created_at.desc(), File.id)
        if query:
            stmt = stmt.where(func.lower(File.filename).contains(query.lower(), autoescape=True))
        return (await self.session.scalars(stmt)).all()

    async def pending_files(self, kb_id: str) -> Sequence[File]:
        """Files uploaded for this knowledge base (`metadata.knowledge_id`) not yet linked."""
        status = File.data["status"].as_string()
        stmt = (
            select(File)
            .where(knowledge_target() == kb_id, status.in_((PENDING, PROCESSING)))
            .order_by(File.created_at, File.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def list_readable(
        self, user: User, query: str | None, offset: int, limit: int
    ) -> dict[str, Any]:
        ids = await self.readable_ids(user)
        where: ColumnElement[bool] = Knowledge.id.in_(ids)
        if query:
            lowered = func.lower(Knowledge.name)
            where = and_(where, lowered.contains(query.lower(), autoescape=True))
        total = await self.session.scalar(select(func.count()).select_from(Knowledge).where(where))
        stmt = select(Knowledge).where(where).order_by(Knowledge.updated_at.desc(), Knowledge.id)
        rows = (await self.session.scalars(stmt.offset(offset).limit(limit))).all()
        owners = await self.people({kb.user_id for kb in rows})
        counts = await self.file_counts([kb.id for kb in rows])
        items = []
        for kb in rows:
            body = await self.present(user, kb, files="omit", write_access=False)
            body["user"], body["file_count"] = owners.get(kb.user_id), counts.get(kb.id, 0)
            body["write_access"] = await self.can(user, kb, "write")
            items.append(body)
        return {"items": items, "total": int(total or 0)}

    # ------------------------------------------------------------ writing

    async def create(
        self, user: User, name: str, description: str, grants: Sequence[GrantForm]
    ) -> dict[str, Any]:
        if user.role != "admin":
            permissions = await user_permissions.effective(self.session, self.config, user.id)
            if not user_permissions.has(permissions, "workspace.knowledge"):
                raise Forbidden(Messages.ACCESS_PROHIBITED)
        stamp = now()
        kb = Knowledge(id=new_id(), user_id=user.id, name=name, description=description,
                       meta=None, created_at=stamp, updated_at=stamp)  # fmt: skip
        self.session.add(kb)
        await self.session.flush()
        await self._set_grants(user, kb, grants)
        self._event(user, "knowledge.created", kb)
        return await self.present(user, kb, files="null", write_access=False)

    def _event(self, user: User, name: str, kb: Knowledge, **data: Any) -> None:
        """Event `name` about knowledge base `kb`, for the event webhooks once this commits."""
        data = {"user_id": kb.user_id, "name": kb.name, **data}
        self.container.events.publish(self.session, name, actor=user, subject_id=kb.id,
                                      subject_type="knowledge", data=data)  # fmt: skip

    async def _set_grants(self, user: User, kb: Knowledge, grants: Sequence[GrantForm]) -> None:
        permissions = await user_permissions.effective(self.session, self.config, user.id)
        kept = allowed_grants(await self.principal(user), permissions, "knowledge", grants)
        await grants_repository.replace(self.session, RESOURCE, kb.id, kept)

    async def update(
        self,
        user: User,
        kb_id: str,
        name: str,
        description: str,
        grants: Sequence[GrantForm] | None,
    ) -> dict[str, Any]:
        kb = await self.writable(user, kb_id)
        kb.name, kb.description, kb.updated_at = name, description, now()
        if grants is not None:
            await self._set_grants(user, kb, grants)
        self._event(user, "knowledge.updated", kb)
        return await self.present(user, kb)

    async def update_access(
        self, user: User, kb_id: str, grants: Sequence[GrantForm]
    ) -> dict[str, Any]:
        kb = await self.writable(user, kb_id)
        await self._set_grants(user, kb, grants)
        return await self.present(user, kb)

    async def _file_for(self, user: User, file_id: str) -> File:
        row = await self.session.get(File, file_id)
        if row is None or (row.user_id != user.id and user.role != "admin"):
            raise BadRequest(f"File {file_id} not found")
        return row

    async def add_files(self, user: User, kb_id: str, file_ids: Sequence[str]) -> dict[str, Any]:
        """Link processed files: their chunks are copied into the knowledge collection.

        Every file is checked before anything is copied; if a copy fails, the chunks copied
        so far are taken out again, so a refused batch leaves nothing behind."""
        kb = await self.writable(user, kb_id, lock=False)  # batches.announce commits its own
        linked = {f.id for f in await self.files_of(kb.id)}
        rows = []
        for file_id in dict.fromkeys(file_ids):
            row = await self._file_for(user, file_id)
            if row.id in linked:
                continue
            if row.data.get("status") != COMPLETED or not row.data.get("content"):
                raise BadRequest(EMPTY_CONTENT)
            rows.append(row)
        if rows:  # a crash from here to the commit is taken back (knowledge/batches.py)
            sessionmaker = self.container.sessionmaker
            batch_id = await batches.announce(sessionmaker, kb.id, [row.id for row in rows])
            await self._copy(kb.id, rows, batch_id)
            await batches.settle(self.session, batch_id)
        for row in rows:
            self.session.add(KnowledgeFile(knowledge_id=kb.id, file_id=row.id,
                                           user_id=user.id, created_at=now()))  # fmt: skip
            self._event(user, "knowledge.file.added", kb, file_id=row.id, filename=row.filename)
        kb.updated_at = now()
        await self.session.flush()
        return await self.present(user, kb)

    async def _copy(self, kb_id: str, rows: Sequence[File], batch_id: str) -> None:
        """Each file's chunks into the collection; on any failure, none of them."""
        copied: list[str] = []
        try:
            for row in rows:
                if not await self.container.retrieval.copy(file_collection(row.id), kb_id, {}):
                    raise BadRequest(EMPTY_CONTENT)
                copied.append(row.id)
        except BaseException as exc:
            for file_id in copied:
                await self.store.delete(kb_id, "file_id", file_id)
            await batches.undo(self.container.sessionmaker, batch_id)
            if isinstance(exc, ValueError):  # e.g. vectors of another embedding model
                raise BadRequest(str(exc)) from exc
            raise

    async def refresh_file(self, user: User, kb_id: str, file_id: str) -> dict[str, Any]:
        kb = await self.writable(user, kb_id, lock=False)  # no row changes; the vectors do
        if file_id not in {f.id for f in await self.files_of(kb.id)}:
            raise BadRequest(f"File {file_id} is not in this knowledge base")
        row = await self._file_for(user, file_id)
        await self.store.delete(kb.id, "file_id", row.id)
        try:
            await self.container.retrieval.copy(file_collection(row.id), kb.id, {})
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        return await self.present(user, kb)

    async def remove_file(
        self, user: User, kb_id: str, file_id: str, delete_file: bool
    ) -> dict[str, Any]:
        kb = await self.writable(user, kb_id)
        unlinked = await self.session.execute(
            delete(KnowledgeFile).where(
                KnowledgeFile.knowledge_id == kb.id, KnowledgeFile.file_id == file_id
            )
        )
        await self.store.delete(kb.id, "file_id", file_id)
        row = await self.session.get(File, file_id)
        deleted = (
            delete_file and row is not None and (row.user_id == user.id or user.role == "admin")
        )
        if getattr(unlinked, "rowcount", 0):
            self._event(user, "knowledge.file.removed", kb, file_id=file_id, file_deleted=deleted)
        if deleted and row is not None:
            key = row.path
            await self.session.delete(row)
            await self.session.flush()
            if key:
                await self.container.files.storage.delete(key)
            await self.store.drop(file_collection(file_id))
        kb.updated_at = now()
        await self.session.flush()
        return await self.present(user, kb)

    async def reset(self, user: User, kb_id: str) -> dict[str, Any]:
        kb = await self.writable(user, kb_id)
        await self.session.execute(delete(KnowledgeFile).where(KnowledgeFile.knowledge_id == kb.id))
        await self.store.drop(kb.id)
        kb.updated_at = now()
        self._event(user, "knowledge.reset", kb)
        return await self.present(user, kb, files="null", write_access=False)

    async def delete(self, user: User, kb_id: str) -> bool:
        kb = await self.writable(user, kb_id)
        await grants_repository.delete_for(self.session, RESOURCE, kb.id)
        await self.session.delete(kb)
        await self.session.flush()
        self._event(user, "knowledge.deleted", kb)
        await self.store.drop(kb.id)
        return True
