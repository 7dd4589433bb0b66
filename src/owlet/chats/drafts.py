"""A chat JSON a client sent, turned into the rows that keep it as a new chat.

Nothing is read to build them (a new chat has no rows yet), so many chats (an import) are
written in two batched inserts instead of a few statements each: SQLite's write lock, which
the import holds until it commits, is held a fraction as long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from owlet.chats import document as docs
from owlet.core.clock import new_id
from owlet.errors import BadRequest
from owlet.tables import Chat, ChatMessage


@dataclass
class Row:
    """A message row not yet in the database (for building a tree from a client's JSON)."""

    id: str
    parent_id: str | None
    data: dict[str, Any]


def rows_of(messages: Sequence[tuple[str, dict[str, Any]]]) -> list[Row]:
    return [Row(i, docs.parent_of(m), m) for i, m in messages]


def split(chat_json: Mapping[str, Any]) -> docs.Incoming:
    try:
        return docs.split(chat_json)
    except docs.ShapeError as exc:
        raise BadRequest(str(exc)) from exc


def title_of(chat: Mapping[str, Any], default: str = "New Chat") -> str:
    title = chat.get("title")
    return title if isinstance(title, str) and title else default


@dataclass
class Draft:
    """What a new chat is made from: the client's JSON and the row fields it may set."""

    chat_json: Mapping[str, Any]
    folder_id: str | None = None
    variables: dict[str, Any] | None = None
    meta: Mapping[str, Any] | None = None
    pinned: bool = False
    created_at: int | None = None
    updated_at: int | None = None


@dataclass
class Built:
    chat: Chat
    messages: list[ChatMessage]
    tags: list[str] = field(default_factory=list)  # names, as sent in `meta.tags`


def build(user_id: str, draft: Draft, stamp: int) -> Built:
    """The new chat's row (new id; the JSON kept as sent) and a row per message."""
    incoming = split(draft.chat_json)
    linear = docs.linear_mode(incoming.doc, docs.tree(rows_of(incoming.messages)))
    meta = dict(draft.meta or {})
    had_tags = "tags" in meta
    tags = meta.pop("tags", [])
    if had_tags and tags == []:
        meta["tags"] = []  # had tags once (a clone of such a chat): shown as []
    created = draft.created_at or stamp
    chat = Chat(
        id=new_id(), user_id=user_id, title=title_of(draft.chat_json),
        doc=docs.for_storage(incoming.doc, linear), linear=linear, meta=meta,
        variables=draft.variables, tasks=None, summary=None, share_id=None, archived=False,
        pinned=bool(draft.pinned), folder_id=draft.folder_id,
        last_read_at=created,  # the author has read what they wrote
        created_at=created, updated_at=draft.updated_at or created,
    )  # fmt: skip
    rows: dict[str, ChatMessage] = {}
    for message_id, data in incoming.messages:  # a repeated id: the last one's data, first place
        role, content = str(data.get("role") or "")[:32], docs.text_of(data)
        row = rows.get(message_id)
        if row is None:
            rows[message_id] = ChatMessage(
                chat_id=chat.id, id=message_id, parent_id=docs.parent_of(data), role=role,
                content=content, data=data, seq=len(rows) + 1, created_at=stamp,
                updated_at=stamp,
            )  # fmt: skip
        else:
            row.data, row.role, row.content = data, role, content
            row.parent_id = docs.parent_of(data)
    chat.message_seq = len(rows)
    names = [
        name.strip()
        for name in (tags if isinstance(tags, list) else [])
        if isinstance(name, str) and name.strip() and name.strip().lower() != "none"
    ]
    return Built(chat, list(rows.values()), names)
