"""Rules of `/api/v1/folders`: a user's folder tree, its sharing, and what deleting one does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access import repository as grants_repository
from owlet.access.rules import Principal, allowed_grants, can_access
from owlet.access.schemas import GrantForm, GrantModel
from owlet.access.service import principal_for
from owlet.chats import repository as chat_repository
from owlet.chats.service import SHARED_CHAT
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import new_id, now
from owlet.db.locks import fetch, lock_rows
from owlet.errors import BadRequest, Forbidden, Messages, NotFound
from owlet.folders.schemas import FolderForm, FolderUpdateForm
from owlet.retrieval.rag import file_readable
from owlet.tables import Chat, Folder, User
from owlet.users import permissions as user_permissions

RESOURCE = "folder"
FOLDER_EXISTS = "[ERROR: Folder already exists]"


class FolderService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    async def require_enabled(self, user: User) -> None:
        """Folders on (`ENABLE_FOLDERS`) and, for non-admins, permission `features.folders`."""
        if not self.config.get("folders.enable"):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        await self._require_permission(user, "features.folders")

    async def _require_permission(self, user: User, key: str) -> None:
        if user.role == "admin":
            return
        permissions = await user_permissions.effective(self.session, self.config, user.id)
        if not user_permissions.has(permissions, key):
            raise Forbidden(Messages.ACCESS_PROHIBITED)

    # ------------------------------------------------------------ access

    async def _grants(self, folder_id: str) -> Sequence[Any]:
        return await grants_repository.for_resource(self.session, RESOURCE, folder_id)

    async def _principal(self, user: User) -> Principal:
        return await principal_for(self.session, user)

    async def readable(self, user: User, folder_id: str, lock: bool = False) -> Folder:
        folder = await fetch(self.session, Folder, folder_id, lock)
        if folder is not None and (
            folder.user_id == user.id
            or can_access(await self._principal(user), None, await self._grants(folder.id), "read")
        ):
            return folder
        raise NotFound(Messages.NOT_FOUND)

    async def writable(self, user: User, folder_id: str) -> Folder:
        """The folder, write-locked for the change the caller makes (db/locks.py)."""
        folder = await self.readable(user, folder_id, lock=True)
        if folder.user_id != user.id and not can_access(
            await self._principal(user), None, await self._grants(folder.id), "write"
        ):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        return folder

    async def owned(self, user: User, folder_id: str) -> Folder:
        """The caller's folder (any, for an admin), write-locked for the change they make."""
        folder = await fetch(self.session, Folder, folder_id, lock=True)
        if folder is None or (folder.user_id != user.id and user.role != "admin"):
            raise NotFound(Messages.NOT_FOUND)
        return folder

    # ------------------------------------------------------------ shapes

    async def present(self, folder: Folder) -> dict[str, Any]:
        grants = [GrantModel.model_validate(g).model_dump() for g in await self._grants(folder.id)]
        return {**_fields(folder), "access_grants": grants}

    async def detail(self, user: User, folder: Folder) -> dict[str, Any]:
        write = folder.user_id == user.id or can_access(
            await self._principal(user), None, await self._grants(folder.id), "write"
        )
        return {**await self.present(folder), "write_access": write}

    async def list_own(self, user: User) -> list[dict[str, Any]]:
        stmt = select(Folder).where(Folder.user_id == user.id).order_by(Folder.created_at)
        folders = list((await self.session.scalars(stmt)).all())
        ids = {f.id for f in folders}
        unread = await self._unread_counts(user, ids)
        listed = []
        for folder in folders:
            if folder.parent_id is not None and folder.parent_id not in ids:
                folder.parent_id = None  # its parent is gone: show it at the top
            listed.append({**_fields(folder), "unread_count": unread.get(folder.id, 0)})
        await self.session.flush()
        return listed

    async def _unread_counts(self, user: User, ids: set[str]) -> dict[str, int]:
        return await chat_repository.unread_by_folder(self.session, user.id, ids) if ids else {}

    async def shared(self, user: User) -> list[dict[str, Any]]:
        """Other users' folders the caller holds a grant on (found from the grants side)."""
        principal = await self._principal(user)
        granted = grants_repository.readable_ids(RESOURCE, principal)
        stmt = (
            select(Folder, User.name)
            .join(User, User.id == Folder.user_id, isouter=True)
            .where(Folder.id.in_(granted), Folder.user_id != user.id)
            .order_by(Folder.created_at)
        )
        rows = (await self.session.execute(stmt)).all()
        grants = await grants_repository.for_resources(
            self.session, RESOURCE, [f.id for f, _ in rows]
        )
        shared = []
        for folder, owner_name in rows:
            write = can_access(principal, None, grants[folder.id], "write")
            shown = [GrantModel.model_validate(g).model_dump() for g in grants[folder.id]]
            shared.append(
                {
                    "id": folder.id, "name": folder.name, "parent_id": folder.parent_id,
                    "user_id": folder.user_id, "owner_name": owner_name or "",
                    "permission": "write" if write else "read", "access_grants": shown,
                    "is_expanded": folder.is_expanded, "meta": folder.meta,
                    "created_at": folder.created_at, "updated_at": folder.updated_at,
                }
            )  # fmt: skip
        return shared

    # ------------------------------------------------------------ writing

    async def _clash(self, user_id: str, parent_id: str | None, name: str, skip: str = "") -> None:
        parent = Folder.parent_id.is_(None) if parent_id is None else Folder.parent_id == parent_id
        stmt = select(Folder.id).where(
            Folder.user_id == user_id,
            parent,
            func.lower(Folder.name) == name.lower(),
            Folder.id != skip,
        )
        if await self.session.scalar(stmt.limit(1)) is not None:
            raise BadRequest(FOLDER_EXISTS)

    async def _check_files(self, user: User, data: dict[str, Any] | None) -> None:
        """Files a folder brings into its chats must be readable by whoever puts them there."""
        files = (data or {}).get("files")
        for item in files if isinstance(files, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            if item.get("type", "file") != "file":
                continue
            if await file_readable(self.session, self.container, user, item["id"]) is None:
                raise Forbidden(Messages.ACCESS_PROHIBITED)

    async def create(self, user: User, form: FolderForm) -> dict[str, Any]:
        """A sub-folder of someone else's shared folder needs write access there and belongs
        to that folder's owner, as in Open WebUI."""
        owner = user.id
        if form.parent_id is not None:
            owner = (await self.writable(user, form.parent_id)).user_id
        await self._check_files(user, form.data)
        await self._clash(owner, form.parent_id, form.name)
        stamp = now()
        folder = Folder(
            id=new_id(), parent_id=form.parent_id, user_id=owner, name=form.name,
            items=None, meta=form.meta, data=form.data, is_expanded=False,
            created_at=stamp, updated_at=stamp,
        )  # fmt: skip
        self.session.add(folder)
        await self.session.flush()
        self._event(user, "folder.created", folder, parent_id=folder.parent_id)
        return await self.present(folder)

    def _event(self, user: User, name: str, folder: Folder, **data: Any) -> None:
        """Event `name` about `folder`, for the event webhooks once this commits."""
        self.container.events.publish(self.session, name, actor=user, subject_id=folder.id,
                                      data={"user_id": folder.user_id, "name": folder.name,
                                            **data})  # fmt: skip

    async def update(self, user: User, folder_id: str, form: FolderUpdateForm) -> dict[str, Any]:
        folder = await self.writable(user, folder_id)
        if form.name is not None:
            await self._clash(folder.user_id, folder.parent_id, form.name, skip=folder.id)
            folder.name = form.name
        if form.data is not None:
            await self._check_files(user, form.data)
            folder.data = {**(folder.data or {}), **form.data}
        if form.meta is not None:
            folder.meta = {**(folder.meta or {}), **form.meta}
        folder.updated_at = now()
        await self.session.flush()
        changed = sorted(f for f in form.model_fields_set if getattr(form, f) is not None)
        self._event(user, "folder.updated", folder, updated_fields=changed)
        return await self.present(folder)

    async def move(self, user: User, folder_id: str, parent_id: str | None) -> dict[str, Any]:
        # Both at once, in id order: X into Y racing Y into X would deadlock on PostgreSQL.
        both = [folder_id] if parent_id is None else [folder_id, parent_id]
        await lock_rows(self.session, Folder, Folder.id.in_(both))
        folder = await self.writable(user, folder_id)
        if parent_id is not None:
            parent = await self.writable(user, parent_id)  # the caller must own it or write it
            if parent.user_id != folder.user_id:
                raise NotFound(Messages.NOT_FOUND)
            if parent_id in await self.subtree(folder):
                raise BadRequest("A folder cannot move into itself or one of its sub-folders.")
        await self._clash(folder.user_id, parent_id, folder.name, skip=folder.id)
        folder.parent_id = parent_id
        folder.updated_at = now()
        await self.session.flush()
        return await self.present(folder)

    async def set_expanded(self, user: User, folder_id: str, expanded: bool) -> dict[str, Any]:
        folder = await self.writable(user, folder_id)
        folder.is_expanded = expanded
        folder.updated_at = now()
        await self.session.flush()
        return await self.present(folder)

    async def update_access(
        self, user: User, folder_id: str, grants: Sequence[GrantForm]
    ) -> dict[str, Any]:
        await self._require_permission(user, "sharing.folders")
        folder = await self.owned(user, folder_id)
        permissions = await user_permissions.effective(self.session, self.config, user.id)
        kept = allowed_grants(await self._principal(user), permissions, "folders", grants)
        await grants_repository.replace(self.session, RESOURCE, folder.id, kept)
        return await self.present(folder)

    async def subtree(self, folder: Folder) -> list[str]:
        return await subtree_ids(self.session, folder.user_id, folder.id)

    async def mark_read(self, user: User, folder_id: str) -> dict[str, Any]:
        folder = await self.readable(user, folder_id)
        ids = await self.subtree(folder)
        result = await self.session.execute(
            update(Chat)
            .where(Chat.user_id == user.id, Chat.folder_id.in_(ids))
            .values(last_read_at=now())
        )
        counts = await self._unread_counts(user, set(ids))
        return {
            "folder_id": folder.id,
            "folder_ids": ids,
            "updated_count": int(getattr(result, "rowcount", 0) or 0),
            "folder_unread_counts": {i: counts.get(i, 0) for i in ids},
        }

    async def delete(self, user: User, folder_id: str, delete_contents: bool) -> bool:
        folder = await self.writable(user, folder_id)
        ids = await self.subtree(folder)
        in_folders = Chat.folder_id.in_(ids)
        if delete_contents:
            owned_chats = and_(Chat.user_id == folder.user_id, in_folders)
            chat_ids = list((await self.session.scalars(select(Chat.id).where(owned_chats))).all())
            for chat_id in chat_ids:  # their share grants go too; rows cascade from the chat
                await grants_repository.delete_for(self.session, SHARED_CHAT, chat_id)
            await self.session.execute(delete(Chat).where(owned_chats))
            await chat_repository.drop_unused_tags(self.session, folder.user_id)
        else:
            await self.session.execute(update(Chat).where(in_folders).values(folder_id=None))
        for child_id in ids:
            await grants_repository.delete_for(self.session, RESOURCE, child_id)
        await self.session.execute(delete(Folder).where(Folder.id.in_(ids)))
        self._event(user, "folder.deleted", folder, folder_ids=ids,
                    delete_contents=delete_contents)  # fmt: skip
        return True

    async def shared_chats(self, user: User, folder_id: str) -> list[dict[str, Any]]:
        folder = await self.readable(user, folder_id)
        writable = folder.user_id == user.id or can_access(
            await self._principal(user), None, await self._grants(folder.id), "write"
        )
        stmt = (
            select(Chat.id, Chat.title, Chat.updated_at, Chat.created_at, Chat.last_read_at)
            .where(Chat.folder_id == folder.id, Chat.archived.is_(False))
            .order_by(Chat.updated_at.desc(), Chat.id)
        )
        rows = (await self.session.execute(stmt)).mappings().all()
        return [{**row, "active": False, "readonly": not writable} for row in rows]


async def subtree_ids(session: AsyncSession, owner_id: str, root_id: str) -> list[str]:
    """The folder and every folder below it (one query for the owner's whole tree)."""
    stmt = select(Folder.id, Folder.parent_id).where(Folder.user_id == owner_id)
    below: dict[str | None, list[str]] = {}
    for child, parent in (await session.execute(stmt)).all():
        below.setdefault(parent, []).append(child)
    found: list[str] = []
    todo = [root_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(below.get(current, []))
    return found


def _fields(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.id,
        "parent_id": folder.parent_id,
        "user_id": folder.user_id,
        "name": folder.name,
        "items": folder.items,
        "meta": folder.meta,
        "data": folder.data,
        "is_expanded": folder.is_expanded,
        "created_at": folder.created_at,
        "updated_at": folder.updated_at,
    }
