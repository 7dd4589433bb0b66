"""Share links, copies (clone, fork, import) and the export of chats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import async_sessionmaker

from owlet.access import repository as grants_repository
from owlet.access.rules import allowed_grants, can_access
from owlet.access.schemas import GrantForm, GrantModel
from owlet.access.service import principal_for
from owlet.chats import document as docs
from owlet.chats import repository as repo
from owlet.chats.drafts import Draft
from owlet.chats.schemas import ImportItem
from owlet.chats.search import tag_id
from owlet.chats.service import SHARED_CHAT, ChatService, chat_response
from owlet.core.clock import new_id, now
from owlet.errors import BadRequest, Forbidden, Messages, NotFound
from owlet.tables import Chat, ChatMessage, ChatTag, Folder, SharedChat, User
from owlet.users import permissions as user_permissions

EXPORT_BATCH = 100  # chats assembled at a time by the export: memory stays bounded


class ChatSharing(ChatService):
    # ------------------------------------------------------------ share links

    async def share(self, user: User, chat_id: str) -> dict[str, Any]:
        await self.require_permission(user, "chat.share")
        chat = await self.owned(user, chat_id, lock=True)
        snapshot = (await self.present(chat))["chat"]
        stamp = now()
        shared = await self._snapshot_of(chat)
        if shared is None:
            shared = SharedChat(
                id=new_id(), chat_id=chat.id, user_id=chat.user_id, created_at=stamp,
                title=chat.title, chat=snapshot, updated_at=stamp,
            )  # fmt: skip
            self.session.add(shared)
            chat.share_id = shared.id
        else:  # a later share refreshes the snapshot behind the same link
            shared.title, shared.chat, shared.updated_at = chat.title, snapshot, stamp
        await self.session.flush()
        self.event(user, "chat.shared", chat, share_id=chat.share_id)
        return await self.present(chat)

    async def _snapshot_of(self, chat: Chat) -> SharedChat | None:
        stmt = select(SharedChat).where(SharedChat.chat_id == chat.id)
        return await self.session.scalar(stmt)

    async def unshare(self, user: User, chat_id: str) -> bool:
        chat = await self.owned(user, chat_id, lock=True)
        if chat.share_id is None:
            return False
        await self._drop_share(user, chat)
        return True

    async def _drop_share(self, user: User, chat: Chat) -> None:
        await self.session.execute(delete(SharedChat).where(SharedChat.chat_id == chat.id))
        await grants_repository.delete_for(self.session, SHARED_CHAT, chat.id)
        self.event(user, "chat.unshared", chat, share_id=chat.share_id)
        chat.share_id = None
        await self.session.flush()

    async def unshare_all(self, user: User) -> bool:
        await repo.lock_all_of(self.session, user.id)
        stmt = select(Chat).where(Chat.user_id == user.id, Chat.share_id.is_not(None))
        for chat in (await self.session.scalars(stmt)).all():
            await self._drop_share(user, chat)  # one chat.unshared per link taken down
        return True

    async def shared_snapshot(self, user: User | None, share_id: str) -> dict[str, Any]:
        """The snapshot behind a link, for whoever may read it; 404 for everyone else."""
        shared = await self.session.get(SharedChat, share_id)
        if shared is None:
            if user is not None and self._admin_reads(user):  # admins may pass a chat id
                chat = await repo.get(self.session, share_id)
                if chat is not None:
                    return await self.present(chat)
            raise NotFound(Messages.NOT_FOUND)
        if not await self._may_read_share(user, shared):
            raise NotFound(Messages.NOT_FOUND)
        return {
            "id": shared.id,
            "user_id": shared.user_id,
            "title": shared.title,
            "chat": shared.chat,
            "updated_at": shared.updated_at,
            "created_at": shared.created_at,
            "share_id": shared.id,
            "archived": False,
            "pinned": False,
            "meta": {},
            "variables": None,
            "folder_id": None,
            "tasks": None,
            "summary": None,
            "current_message_id": docs.current_id(shared.chat),
        }

    async def _may_read_share(self, user: User | None, shared: SharedChat) -> bool:
        grants = await grants_repository.for_resource(self.session, SHARED_CHAT, shared.chat_id)
        if any(g.principal_type == "anyone" for g in grants):
            return True  # an open link
        if user is None:
            return False
        if user.id == shared.user_id or self._admin_reads(user):
            return True
        return can_access(await principal_for(self.session, user), None, grants, "read")

    async def shared_list(
        self, user: User, query: str | None, window: Any, direction: str
    ) -> list[dict[str, Any]]:
        stmt = select(Chat.share_id, Chat.title, Chat.updated_at, Chat.created_at).where(
            Chat.user_id == user.id, Chat.share_id.is_not(None)
        )
        if query:
            stmt = stmt.where(Chat.title.ilike(f"%{repo.escape_like(query)}%", escape="\\"))
        order = Chat.updated_at.asc() if direction == "asc" else Chat.updated_at.desc()
        stmt = stmt.order_by(order, Chat.id).offset(window.offset)
        if window.limit is not None:
            stmt = stmt.limit(window.limit)
        rows = (await self.session.execute(stmt)).all()
        return [
            {"id": r.share_id, "title": r.title, "share_id": r.share_id,
             "updated_at": r.updated_at, "created_at": r.created_at}
            for r in rows
        ]  # fmt: skip

    async def share_access(self, user: User, chat_id: str) -> list[dict[str, Any]]:
        chat = await self.owned_or_admin(user, chat_id)
        grants = await grants_repository.for_resource(self.session, SHARED_CHAT, chat.id)
        return [
            {k: v for k, v in GrantModel.model_validate(g).model_dump().items()
             if k in ("id", "principal_type", "principal_id", "permission")}
            for g in grants
        ]  # fmt: skip

    async def update_share_access(
        self, user: User, chat_id: str, grants: Sequence[GrantForm]
    ) -> dict[str, Any]:
        chat = await self.owned_or_admin(user, chat_id, lock=True)
        principal = await principal_for(self.session, user)
        permissions = await user_permissions.effective(self.session, self.config, user.id)
        kept = allowed_grants(principal, permissions, "chats", grants, shared_chat=True)
        await grants_repository.replace(self.session, SHARED_CHAT, chat.id, kept)
        return await self.present(chat)

    # ------------------------------------------------------------ copies

    async def clone(self, user: User, chat_id: str, title: str | None) -> dict[str, Any]:
        await self.require_permission(user, "chat.import")
        source = await self.owned(user, chat_id)  # others clone a share: /clone/shared
        presented = await self.present(source)
        chat_json = presented["chat"]
        new_title = title or f"Clone of {source.title}"
        copy = {
            **chat_json,
            "title": new_title,
            "originalChatId": source.id,
            "branchPointMessageId": docs.current_id(chat_json),
        }
        chat = await self.insert(
            user.id, copy, folder_id=source.folder_id, pinned=source.pinned,
            variables=source.variables, meta=presented["meta"],
        )  # fmt: skip
        self.event(user, "chat.cloned", chat, title=chat.title, original_chat_id=source.id)
        return await self.present(chat)

    async def clone_shared(self, user: User, share_id: str) -> dict[str, Any]:
        await self.require_permission(user, "chat.import")
        shared = await self.shared_snapshot(user, share_id)
        copy = {
            **shared["chat"],
            "originalChatId": shared["id"],
            "branchPointMessageId": docs.current_id(shared["chat"]),
        }
        chat = await self.insert(user.id, copy)
        self.event(user, "chat.cloned", chat, title=chat.title, original_chat_id=shared["id"],
                   share_id=share_id)  # fmt: skip
        return await self.present(chat)

    async def fork(self, user: User, chat_id: str, message_id: str | None) -> dict[str, Any]:
        """A new chat holding the branch from the root down to `message_id`."""
        await self.require_permission(user, "chat.import")
        source = await self.owned(user, chat_id)
        rows = await repo.message_rows(self.session, source.id)
        if not rows:
            raise BadRequest("chat has no messages to fork")
        messages = docs.tree(rows)
        point = message_id or docs.current_id(source.doc)
        if point not in messages:
            raise NotFound("message not found")
        keys = docs.path_ids(messages, point)
        branch = [messages[key] for key in keys]
        stored = source.doc.get("history")
        history = {**(stored if isinstance(stored, dict) else {}), "currentId": point}
        history["messages"] = {key: docs.without_children(messages[key]) for key in keys}
        chat_json = {
            **source.doc,
            "title": f"{source.title} (fork)",
            "history": history,
            "originalChatId": source.id,
            "branchPointMessageId": point,
        }
        if source.linear != docs.ABSENT:  # the linear list follows the branch too
            chat_json["messages"] = branch
        meta = {**(source.meta or {}), "forked_from": source.id, "forked_from_message_id": point}
        chat = await self.insert(user.id, chat_json, folder_id=source.folder_id, meta=meta)
        return await self.present(chat)

    async def import_chats(self, user: User, items: Sequence[ImportItem]) -> list[dict[str, Any]]:
        await self.require_permission(user, "chat.import")
        folders = {item.folder_id for item in items if item.folder_id}
        owned = set()
        if folders:
            stmt = select(Folder.id).where(Folder.user_id == user.id, Folder.id.in_(folders))
            owned = set((await self.session.scalars(stmt)).all())
        drafts = [
            Draft(docs.with_authors(item.chat, user.id, user.name),
                  folder_id=item.folder_id if item.folder_id in owned else None,
                  variables=item.variables, meta=item.meta, pinned=bool(item.pinned),
                  created_at=item.created_at, updated_at=item.updated_at)
            for item in items
        ]  # fmt: skip
        built = await self.insert_many(user.id, drafts)
        if built:  # one event per request, naming every chat it made
            self.container.events.publish(self.session, "chat.imported", actor=user, data={
                "user_id": user.id, "chat_ids": [b.chat.id for b in built], "count": len(built),
            })  # fmt: skip
        # The rows are at hand: no read per chat to present what was written.
        return [chat_response(b.chat, b.messages, sorted({tag_id(t) for t in b.tags}))
                for b in built]  # fmt: skip

    # ------------------------------------------------------------ export

    async def require_export_allowed(self, user: User) -> None:
        if not self.container.settings.enable_admin_export:
            raise Forbidden(Messages.ACCESS_PROHIBITED)


async def export_lines(
    sessionmaker: async_sessionmaker[Any], user_id: str | None, array: bool = False
) -> AsyncIterator[bytes]:
    """Every chat of `user_id` (or of everyone) as NDJSON lines, or as one JSON array.

    Chats are read in batches by keyset, each batch in its own short session, so memory and
    database connections stay bounded however many chats there are.
    """
    after: tuple[int, str] | None = None
    first = True
    if array:
        yield b"["
    while True:
        async with sessionmaker() as session:
            stmt = select(Chat).order_by(Chat.created_at, Chat.id).limit(EXPORT_BATCH)
            if user_id is not None:
                stmt = stmt.where(Chat.user_id == user_id)
            if after is not None:
                stmt = stmt.where(tuple_(Chat.created_at, Chat.id) > after)
            chats = list((await session.scalars(stmt)).all())
            if not chats:
                break
            ids = [c.id for c in chats]
            rows: dict[str, list[ChatMessage]] = {i: [] for i in ids}
            stmt_rows = (
                select(ChatMessage)
                .where(ChatMessage.chat_id.in_(ids))
                .order_by(ChatMessage.chat_id, ChatMessage.seq)
            )
            for row in (await session.scalars(stmt_rows)).all():
                rows[row.chat_id].append(row)
            tags: dict[str, list[str]] = {i: [] for i in ids}
            stmt_tags = select(ChatTag).where(ChatTag.chat_id.in_(ids)).order_by(ChatTag.created_at)
            for tag in (await session.scalars(stmt_tags)).all():
                tags[tag.chat_id].append(tag.tag_id)
            for chat in chats:
                body = json.dumps(chat_response(chat, rows[chat.id], tags[chat.id])).encode()
                if array:
                    yield (b"" if first else b",") + body
                else:
                    yield body + b"\n"
                first = False
            after = (chats[-1].created_at, chats[-1].id)
    if array:
        yield b"]"
