"""SQL for chats, their message rows and their tags. Lists select columns, never bodies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.chats.document import MessageRow, parent_of, text_of
from owlet.db.locks import fetch, lock_rows
from owlet.tables import Chat, ChatMessage, ChatTag, Tag

# What a list row carries (ChatTitleIdResponse), without the document or messages.
TITLE_COLUMNS = (
    Chat.id, Chat.title, Chat.updated_at, Chat.created_at, Chat.last_read_at, Chat.archived
)  # fmt: skip
TitleSelect = Select[str, str, int, int, int | None, bool]
SORTS = {"updated_at": Chat.updated_at, "created_at": Chat.created_at, "title": Chat.title}


async def get(session: AsyncSession, chat_id: str, lock: bool = False) -> Chat | None:
    """The chat; with `lock`, write-locked first, for a change that depends on what is read."""
    return await fetch(session, Chat, chat_id, lock)


async def owned(
    session: AsyncSession, chat_id: str, user_id: str, lock: bool = False
) -> Chat | None:
    chat = await get(session, chat_id, lock)
    return chat if chat is not None and chat.user_id == user_id else None


async def message_rows(session: AsyncSession, chat_id: str) -> Sequence[MessageRow]:
    """The chat's messages in insertion order, as plain rows (no ORM objects: a 10,000-message
    chat opens several times faster)."""
    stmt = (
        select(ChatMessage.id, ChatMessage.parent_id, ChatMessage.data)
        .where(ChatMessage.chat_id == chat_id)
        .order_by(ChatMessage.seq)
    )
    return (await session.execute(stmt)).all()


async def message(session: AsyncSession, chat_id: str, message_id: str) -> ChatMessage | None:
    return await session.get(ChatMessage, (chat_id, message_id))


async def children(session: AsyncSession, chat_id: str, parent_id: str | None) -> list[ChatMessage]:
    parent = (
        ChatMessage.parent_id.is_(None)
        if parent_id is None
        else (ChatMessage.parent_id == parent_id)
    )
    stmt = (
        select(ChatMessage).where(ChatMessage.chat_id == chat_id, parent).order_by(ChatMessage.seq)
    )
    return list((await session.scalars(stmt)).all())


async def last_message_id(session: AsyncSession, chat_id: str) -> str | None:
    stmt = (
        select(ChatMessage.id)
        .where(ChatMessage.chat_id == chat_id)
        .order_by(ChatMessage.seq.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


async def _reserve_seq(session: AsyncSession, chat_id: str, count: int) -> int:
    """The first of `count` fresh `seq` values for the chat, taken in one atomic update."""
    stmt = (
        update(Chat)
        .where(Chat.id == chat_id)
        .values(message_seq=Chat.message_seq + count)
        .returning(Chat.message_seq)
        .execution_options(synchronize_session=False)
    )
    top = int((await session.execute(stmt)).scalar_one())
    return top - count + 1


async def upsert_messages(
    session: AsyncSession, chat_id: str, items: Sequence[tuple[str, dict[str, Any]]], stamp: int
) -> bool:
    """Write the given messages (incoming wins per id); True when anything changed.

    Costs O(len(items)), whatever the chat's size: unchanged messages are not rewritten.
    """
    if not items:
        return False
    ids = [message_id for message_id, _ in items]
    existing: dict[str, ChatMessage] = {}
    for chunk in _chunks(ids, 500):
        stmt = select(ChatMessage).where(ChatMessage.chat_id == chat_id, ChatMessage.id.in_(chunk))
        existing.update({row.id: row for row in (await session.scalars(stmt)).all()})
    fresh = {message_id for message_id, _ in items if message_id not in existing}
    seq = await _reserve_seq(session, chat_id, len(fresh)) if fresh else 0
    changed = False
    for message_id, data in items:
        row = existing.get(message_id)
        if row is not None:
            if row.data != data:
                row.data = data
                row.parent_id = parent_of(data)
                row.role = str(data.get("role") or "")[:32]
                row.content = text_of(data)
                row.updated_at = stamp
                changed = True
            continue
        row = ChatMessage(
            chat_id=chat_id,
            id=message_id,
            parent_id=parent_of(data),
            role=str(data.get("role") or "")[:32],
            content=text_of(data),
            data=data,
            seq=seq,
            created_at=stamp,
            updated_at=stamp,
        )
        session.add(row)
        existing[message_id] = row  # a repeated id updates this row
        seq += 1
        changed = True
    await session.flush()
    return changed


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def delete_messages(session: AsyncSession, chat_id: str, ids: Iterable[str]) -> None:
    ids = list(ids)
    if ids:
        await session.execute(
            delete(ChatMessage).where(ChatMessage.chat_id == chat_id, ChatMessage.id.in_(ids))
        )


# ---------------------------------------------------------------- lists


def live(user_id: str) -> ColumnElement[bool]:
    """A user's chats that are not archived."""
    return and_(Chat.user_id == user_id, Chat.archived.is_(False))


def unread() -> ColumnElement[bool]:
    """Updated since the owner last read it (or never read)."""
    return or_(Chat.last_read_at.is_(None), Chat.last_read_at < Chat.updated_at)


async def unread_by_folder(
    session: AsyncSession, user_id: str, folder_ids: Iterable[str] | None = None
) -> dict[str, int]:
    """Unread live chats per folder of the user (folders without any are left out)."""
    stmt = (
        select(Chat.folder_id, func.count())
        .where(
            Chat.user_id == user_id, Chat.archived.is_(False), Chat.folder_id.is_not(None), unread()
        )
        .group_by(Chat.folder_id)
    )
    if folder_ids is not None:
        stmt = stmt.where(Chat.folder_id.in_(list(folder_ids)))
    return {str(folder): int(count) for folder, count in (await session.execute(stmt)).all()}


def titles(
    where: ColumnElement[bool], sort: str = "updated_at", direction: str = "desc"
) -> TitleSelect:
    column = SORTS.get(sort, Chat.updated_at)
    order = column.asc() if direction == "asc" else column.desc()
    stmt = select(*TITLE_COLUMNS).where(where)
    if sort == "unread_updated_at":  # unread first, then by update time
        stmt = stmt.order_by(case((unread(), 0), else_=1))
    return stmt.order_by(order, Chat.id)


async def page(
    session: AsyncSession, stmt: TitleSelect, limit: int | None, offset: int
) -> list[dict[str, Any]]:
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    rows = (await session.execute(stmt)).mappings().all()
    return [dict(row) for row in rows]


def in_folders(user_id: str, include: bool) -> ColumnElement[bool]:
    return Chat.folder_id.is_not(None) if include else Chat.folder_id.is_(None)


def content_matches(word: str) -> ColumnElement[bool]:
    """A chat whose title or any message contains `word` (case-insensitive)."""
    pattern = f"%{escape_like(word.lower())}%"
    in_messages = exists().where(
        ChatMessage.chat_id == Chat.id, func.lower(ChatMessage.content).like(pattern, escape="\\")
    )
    return or_(func.lower(Chat.title).like(pattern, escape="\\"), in_messages)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tagged(user_id: str, tag_id: str) -> ColumnElement[bool]:
    return exists().where(
        ChatTag.chat_id == Chat.id, ChatTag.user_id == user_id, ChatTag.tag_id == tag_id
    )


def untagged() -> ColumnElement[bool]:
    return ~exists().where(ChatTag.chat_id == Chat.id)


# ---------------------------------------------------------------- tags


async def tag_ids(session: AsyncSession, chat_id: str) -> list[str]:
    stmt = (
        select(ChatTag.tag_id)
        .where(ChatTag.chat_id == chat_id)
        .order_by(ChatTag.created_at, ChatTag.tag_id)
    )
    return list((await session.scalars(stmt)).all())


async def tags_of(session: AsyncSession, chat_id: str) -> list[Tag]:
    stmt = (
        select(Tag)
        .join(ChatTag, and_(ChatTag.tag_id == Tag.id, ChatTag.user_id == Tag.user_id))
        .where(ChatTag.chat_id == chat_id)
        .order_by(ChatTag.created_at, Tag.id)
    )
    return list((await session.scalars(stmt)).all())


async def user_tags(session: AsyncSession, user_id: str) -> list[Tag]:
    stmt = select(Tag).where(Tag.user_id == user_id).order_by(Tag.name, Tag.id)
    return list((await session.scalars(stmt)).all())


async def ensure_tag(session: AsyncSession, user_id: str, tag_id: str, name: str) -> None:
    if await session.get(Tag, (tag_id, user_id)) is None:
        session.add(Tag(id=tag_id, user_id=user_id, name=name, meta=None))
        await session.flush()


async def add_chat_tag(session: AsyncSession, chat: Chat, tag_id: str, stamp: int) -> None:
    if await session.get(ChatTag, (chat.id, tag_id)) is None:
        session.add(ChatTag(chat_id=chat.id, tag_id=tag_id, user_id=chat.user_id, created_at=stamp))
        await session.flush()


async def remove_chat_tag(session: AsyncSession, chat_id: str, tag_id: str) -> None:
    await session.execute(
        delete(ChatTag).where(ChatTag.chat_id == chat_id, ChatTag.tag_id == tag_id)
    )


async def drop_unused_tags(
    session: AsyncSession, user_id: str, tag_ids: Iterable[str] | None = None
) -> None:
    """Delete the user's tags (all, or the given ones) that no chat carries any more."""
    used = select(ChatTag.tag_id).where(ChatTag.user_id == user_id)
    stmt = delete(Tag).where(Tag.user_id == user_id, Tag.id.not_in(used))
    if tag_ids is not None:
        stmt = stmt.where(Tag.id.in_(list(tag_ids)))
    await session.execute(stmt)


async def lock_all_of(session: AsyncSession, user_id: str) -> None:
    """Take the write lock on all of a user's chats before a bulk change reads them, so two
    bulk changes (delete all, unshare all) run one after the other instead of one updating
    rows the other deleted (StaleDataError on SQLite, a deadlock on PostgreSQL)."""
    await lock_rows(session, Chat, Chat.user_id == user_id)


async def set_flag(session: AsyncSession, where: ColumnElement[bool], **values: Any) -> int:
    result = await session.execute(update(Chat).where(where).values(**values))
    return int(getattr(result, "rowcount", 0) or 0)


async def open_answers(session: AsyncSession, before: int, limit: int = 500) -> list[ChatMessage]:
    """Assistant messages still marked as being answered (`done: false`), last written
    before `before` (epoch seconds)."""
    stmt = (
        select(ChatMessage)
        .where(
            ChatMessage.role == "assistant",
            ChatMessage.updated_at < before,
            ChatMessage.data["done"].as_boolean() == false(),
        )
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
