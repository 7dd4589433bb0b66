"""Rules of `/api/v1/chats`: who may see and change which chat, and how a chat JSON is kept.

Another user's chat is answered 404, never its content (the issue's rule, where Open WebUI
says 401). Admins read other users' chats only where the reference allows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access import repository as grants_repository
from owlet.access.rules import can_access
from owlet.access.service import principal_for
from owlet.chats import document as docs
from owlet.chats import repository as repo
from owlet.chats.document import MessageRow
from owlet.chats.drafts import Built, Draft, build, split, title_of
from owlet.chats.search import tag_id
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import now
from owlet.core.paging import Page
from owlet.errors import BadRequest, Forbidden, Messages, NotFound
from owlet.tables import Chat, Folder, Tag, User
from owlet.users import permissions as user_permissions

SHARED_CHAT = "shared_chat"  # access-grant resource type; the resource id is the chat id
PAGE_SIZE = 60
FOLDER_PAGE_SIZE = 10


def chat_response(chat: Chat, rows: Sequence[MessageRow], tag_ids: list[str]) -> dict[str, Any]:
    """ChatResponse: the row's fields, the assembled chat JSON, and `meta.tags`."""
    return {
        "id": chat.id,
        "user_id": chat.user_id,
        "title": chat.title,
        "chat": docs.assemble(chat.doc, chat.linear, rows),
        "updated_at": chat.updated_at,
        "created_at": chat.created_at,
        "share_id": chat.share_id,
        "archived": chat.archived,
        "pinned": chat.pinned,
        "meta": docs.meta_with_tags(chat.meta, tag_ids),
        "variables": {} if chat.variables is None else chat.variables,
        "folder_id": chat.folder_id,
        "tasks": chat.tasks,
        "summary": chat.summary,
        "current_message_id": docs.current_id(chat.doc),
        "context_usage": None,
    }


class ChatService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    # ------------------------------------------------------------ access

    async def require_permission(self, user: User, key: str) -> None:
        if user.role == "admin":
            return
        permissions = await user_permissions.effective(self.session, self.config, user.id)
        if not user_permissions.has(permissions, key):
            raise Forbidden(Messages.ACCESS_PROHIBITED)

    async def owned(self, user: User, chat_id: str, lock: bool = False) -> Chat:
        """The caller's chat; `lock` for a change that depends on what is read (repo.get)."""
        chat = await repo.owned(self.session, chat_id, user.id, lock)
        if chat is None:
            raise NotFound(Messages.NOT_FOUND)
        return chat

    async def owned_or_admin(self, user: User, chat_id: str, lock: bool = False) -> Chat:
        chat = await repo.get(self.session, chat_id, lock)
        if chat is None or (chat.user_id != user.id and not self._admin_reads(user)):
            raise NotFound(Messages.NOT_FOUND)
        return chat

    def _admin_reads(self, user: User) -> bool:
        return user.role == "admin" and self.container.settings.enable_admin_chat_access

    async def readable(self, user: User, chat_id: str) -> Chat:
        """Owner, an admin allowed to read chats, or a holder of a read grant on its share."""
        chat = await repo.get(self.session, chat_id)
        if chat is not None and (chat.user_id == user.id or self._admin_reads(user)):
            return chat
        if chat is not None and chat.share_id is not None:
            grants = await grants_repository.for_resource(self.session, SHARED_CHAT, chat.id)
            principal = await principal_for(self.session, user)
            if can_access(principal, None, grants, "read"):
                return chat
        raise NotFound(Messages.NOT_FOUND)

    async def own_folder(self, user: User, folder_id: str) -> Folder:
        folder = await self.session.get(Folder, folder_id)
        if folder is None or folder.user_id != user.id:
            raise NotFound(Messages.NOT_FOUND)
        return folder

    # ------------------------------------------------------------ shapes

    async def present(self, chat: Chat, rows: Sequence[MessageRow] | None = None) -> dict[str, Any]:
        if rows is None:
            rows = await repo.message_rows(self.session, chat.id)
        return chat_response(chat, rows, await repo.tag_ids(self.session, chat.id))

    async def titles(
        self,
        where: ColumnElement[bool],
        window: Page,
        sort: str = "updated_at",
        direction: str = "desc",
    ) -> list[dict[str, Any]]:
        stmt = repo.titles(where, sort, direction)
        return [
            {**row, "snippet": None, "active": False}
            for row in await repo.page(self.session, stmt, window.limit, window.offset)
        ]

    # ------------------------------------------------------------ writing

    async def insert(self, user_id: str, chat_json: Mapping[str, Any], **fields: Any) -> Chat:
        """A new chat (new id; the JSON is kept as sent) with a row per message."""
        return (await self.insert_many(user_id, [Draft(chat_json, **fields)]))[0].chat

    async def insert_many(self, user_id: str, drafts: Sequence[Draft]) -> list[Built]:
        """New chats, all rows written in two batched inserts (chats, then messages)."""
        stamp = now()
        built = [build(user_id, draft, stamp) for draft in drafts]
        self.session.add_all([b.chat for b in built])
        await self.session.flush()
        self.session.add_all([row for b in built for row in b.messages])
        await self.session.flush()
        for b in built:
            for name in b.tags:
                await self._tag(b.chat, name)
        return built

    async def create(
        self,
        user: User,
        chat_json: Mapping[str, Any],
        folder_id: str | None,
        variables: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if folder_id is not None:
            await self.own_folder(user, folder_id)
        chat_json = docs.with_authors(chat_json, user.id, user.name)
        chat = await self.insert(user.id, chat_json, folder_id=folder_id, variables=variables)
        self.created(user, chat)
        return await self.present(chat)

    def created(self, user: User, chat: Chat) -> None:
        """A new chat (by `/chats/new` or a completion asking for one), for the webhooks."""
        self.event(user, "chat.created", chat, title=chat.title, folder_id=chat.folder_id)

    def event(self, user: User, name: str, chat: Chat, **data: Any) -> None:
        """Event `name` about `chat` (ids and names, never its messages), sent on commit."""
        self.container.events.publish(self.session, name, actor=user, subject_id=chat.id,
                                      data={"user_id": chat.user_id, **data})  # fmt: skip

    async def update(
        self, user: User, chat_id: str, chat_json: Mapping[str, Any], variables: Any
    ) -> dict[str, Any]:
        """Shallow merge of the chat JSON; `history.messages` merged per message id."""
        chat = await self.owned(user, chat_id, lock=True)
        incoming = split(docs.with_authors(chat_json, user.id, user.name))
        doc = dict(chat.doc)
        for key, value in incoming.doc.items():
            old = doc.get(key)
            if key == "history" and isinstance(value, dict) and isinstance(old, dict):
                doc[key] = {**old, **value}
            else:
                doc[key] = value
        stamp = now()
        await repo.upsert_messages(self.session, chat.id, incoming.messages, stamp)
        if isinstance(doc.get("history"), dict):
            current = docs.current_id(doc)
            if current is None or await repo.message(self.session, chat.id, current) is None:
                latest = await repo.last_message_id(self.session, chat.id)
                if latest is not None or current is not None:
                    doc = docs.with_current_id(doc, latest)
        linear = chat.linear
        if "messages" in incoming.doc:  # only then is the whole tree needed
            rows = await repo.message_rows(self.session, chat.id)
            linear = docs.linear_mode(doc, docs.tree(rows))
        chat.doc = docs.for_storage(doc, linear)
        chat.linear = linear
        chat.title = title_of(doc, chat.title)
        if isinstance(variables, dict):
            chat.variables = variables
        if "history" in chat_json or "messages" in chat_json:
            chat.updated_at = stamp
        await self.session.flush()
        self.event(user, "chat.updated", chat, title=chat.title, updated_fields=sorted(chat_json))
        return await self.present(chat)

    async def update_message(
        self, user: User, chat_id: str, message_id: str, content: str
    ) -> dict[str, Any]:
        chat = await self.owned_or_admin(user, chat_id, lock=True)
        row = await repo.message(self.session, chat.id, message_id)
        if row is None:
            raise NotFound(Messages.NOT_FOUND)
        data = {**row.data, "content": content}
        await repo.upsert_messages(self.session, chat.id, [(message_id, data)], now())
        chat.updated_at = now()
        return await self.present(chat)

    async def delete_message(self, user: User, chat_id: str, message_id: str) -> dict[str, Any]:
        """The message and its direct children go; grandchildren move up to its parent.

        The tree is walked in memory from one read of (id, parent) pairs, with a guard
        against parentId cycles a client may have stored.
        """
        chat = await self.owned_or_admin(user, chat_id, lock=True)
        rows = await repo.message_rows(self.session, chat.id)
        parents = {row.id: row.parent_id for row in rows}
        if message_id not in parents:
            raise NotFound(Messages.NOT_FOUND)
        below: dict[str | None, list[str]] = {}
        for row in rows:  # in insertion order
            below.setdefault(row.parent_id, []).append(row.id)
        new_parent = parents[message_id]
        doomed = [message_id, *below.get(message_id, [])]
        moved = [g for child in doomed[1:] for g in below.get(child, []) if g not in doomed]
        for row_id in moved:
            grandchild = await repo.message(self.session, chat.id, row_id)
            if grandchild is not None:
                grandchild.parent_id = new_parent
                grandchild.data = {**grandchild.data, "parentId": new_parent}
        await self.session.flush()
        await repo.delete_messages(self.session, chat.id, doomed)
        for row_id in doomed:
            parents.pop(row_id, None)
        for row_id in moved:
            parents[row_id] = new_parent
        leaf = _last_leaf(parents, new_parent)
        if isinstance(chat.doc.get("history"), dict) or leaf is not None:
            chat.doc = docs.with_current_id(chat.doc, leaf)
        chat.updated_at = now()
        await self.session.flush()
        return await self.present(chat)

    async def delete(self, user: User, chat_id: str) -> bool:
        await self.require_permission(user, "chat.delete")
        find = self.owned_or_admin if user.role == "admin" else self.owned
        chat = await find(user, chat_id, lock=True)
        await self._forget(chat)
        self.event(user, "chat.deleted", chat)
        return True

    async def delete_all(self, user: User) -> bool:
        await self.require_permission(user, "chat.delete")
        await repo.lock_all_of(self.session, user.id)
        mine = select(Chat.id).where(Chat.user_id == user.id)
        await grants_repository.delete_for_any(self.session, SHARED_CHAT, mine)
        # Two statements whatever the count (messages, tags and share links go with their
        # chat by ON DELETE CASCADE): one per chat held the write lock for minutes.
        await self.session.execute(
            delete(Chat).where(Chat.user_id == user.id).execution_options(synchronize_session=False)
        )
        await repo.drop_unused_tags(self.session, user.id)
        self.container.events.publish(self.session, "chat.deleted_all", actor=user,
                                      data={"user_id": user.id})  # fmt: skip
        return True

    async def _forget(self, chat: Chat) -> None:
        tag_ids = await repo.tag_ids(self.session, chat.id)
        await grants_repository.delete_for(self.session, SHARED_CHAT, chat.id)
        await self.session.delete(chat)
        await self.session.flush()
        if tag_ids:
            await repo.drop_unused_tags(self.session, chat.user_id, tag_ids)

    # ------------------------------------------------------------ flags

    async def toggle(self, user: User, chat_id: str, flag: str) -> dict[str, Any]:
        chat = await self.owned(user, chat_id, lock=True)
        setattr(chat, flag, not getattr(chat, flag))
        chat.updated_at = now()
        await self.session.flush()
        self.event(user, f"chat.{'' if getattr(chat, flag) else 'un'}{flag}", chat)
        return await self.present(chat)

    async def set_archived_all(self, user: User, archived: bool) -> bool:
        await repo.set_flag(self.session, Chat.user_id == user.id, archived=archived)
        return True

    async def move(self, user: User, chat_id: str, folder_id: str | None) -> dict[str, Any]:
        chat = await self.owned(user, chat_id, lock=True)
        if folder_id is not None:
            await self.own_folder(user, folder_id)
        previous, chat.folder_id = chat.folder_id, folder_id
        chat.updated_at = now()
        await self.session.flush()
        self.event(user, "chat.folder_updated", chat, folder_id=folder_id,
                   previous_folder_id=previous)  # fmt: skip
        return await self.present(chat)

    # ------------------------------------------------------------ tags

    async def _tag(self, chat: Chat, name: str) -> None:
        if name.strip().lower() == "none":
            raise BadRequest("[ERROR: Tag name cannot be 'None']")
        await repo.ensure_tag(self.session, chat.user_id, tag_id(name), name.strip())
        await repo.add_chat_tag(self.session, chat, tag_id(name), now())
        if "tags" not in (chat.meta or {}):
            chat.meta = {**(chat.meta or {}), "tags": []}  # the marker meta_with_tags reads

    async def add_tag(self, user: User, chat_id: str, name: str) -> list[Tag]:
        chat = await self.owned(user, chat_id, lock=True)
        had = tag_id(name) in await repo.tag_ids(self.session, chat.id)
        await self._tag(chat, name)
        if not had:
            self.event(user, "chat.tag_added", chat, tag_id=tag_id(name), tag=name.strip())
        return await repo.tags_of(self.session, chat.id)

    async def remove_tag(self, user: User, chat_id: str, name: str) -> list[Tag]:
        chat = await self.owned(user, chat_id, lock=True)
        had = tag_id(name) in await repo.tag_ids(self.session, chat.id)
        await repo.remove_chat_tag(self.session, chat.id, tag_id(name))
        await repo.drop_unused_tags(self.session, user.id, [tag_id(name)])
        if had:
            self.event(user, "chat.tag_removed", chat, tag_id=tag_id(name), tag=name.strip())
        return await repo.tags_of(self.session, chat.id)

    async def chat_tags(self, user: User, chat_id: str) -> list[Tag]:
        chat = await self.owned(user, chat_id)
        return await repo.tags_of(self.session, chat.id)

    async def by_tag(self, user: User, name: str, window: Page) -> list[dict[str, Any]]:
        where = and_(repo.live(user.id), repo.tagged(user.id, tag_id(name)))
        found = await self.titles(where, window)
        if not found and window.offset == 0:
            await repo.drop_unused_tags(self.session, user.id, [tag_id(name)])
        return found

    # ------------------------------------------------------------ lists

    def list_filter(
        self, user: User, *, include_pinned: bool, include_folders: bool
    ) -> ColumnElement[bool]:
        where = repo.live(user.id)
        if not include_pinned:
            where = and_(where, Chat.pinned.is_(False))
        if not include_folders:
            where = and_(where, Chat.folder_id.is_(None))
        return where


def _last_leaf(parents: Mapping[str, str | None], start: str | None) -> str | None:
    """Down the last branch from `start` (or from the roots) to a message with no children."""
    below: dict[str | None, list[str]] = {}
    for message_id, parent in parents.items():  # insertion order is kept by the dict
        below.setdefault(parent, []).append(message_id)
    node, seen = start, set()
    while below.get(node) and node not in seen:
        seen.add(node)
        node = below[node][-1]
    return node
