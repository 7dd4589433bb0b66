"""Chats stored as a row per chat plus a row per message (reference §4.1).

`chat.doc` is the client's chat JSON without `history.messages` (and without the linear
`messages` list when it is just the path to `history.currentId`); each message lives in
`chat_message`, so appending or editing one message touches one row whatever the chat's size,
and lists never load message bodies. `owlet.chats.document` assembles the JSON on read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base, JsonType


class Chat(Base):
    __tablename__ = "chat"
    __table_args__ = (
        # the sidebar list: a user's live chats, newest first
        Index("ix_chat_user_list", "user_id", "archived", "pinned", "updated_at"),
        Index("ix_chat_user_folder", "user_id", "folder_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    doc: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # "path": `messages` is the path to `history.currentId`; "stored": kept in `doc` as sent;
    # "absent": the client sent none.
    linear: Mapped[str] = mapped_column(String(8))
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    variables: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    tasks: Mapped[list[Any] | None] = mapped_column(JsonType, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    share_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    folder_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_read_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # the last `seq` handed to a message; bumped atomically so concurrent appends never share one
    message_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class ChatMessage(Base):
    __tablename__ = "chat_message"
    __table_args__ = (
        Index("ix_chat_message_order", "chat_id", "seq"),
        Index("ix_chat_message_parent", "chat_id", "parent_id"),
    )

    chat_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("chat.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    role: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)  # plain text, for search
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)  # the message, minus childrenIds
    seq: Mapped[int] = mapped_column(Integer)  # insertion order: sibling order on read
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)


class ChatTag(Base):
    """Which of its owner's tags a chat carries (shown as `meta.tags`)."""

    __tablename__ = "chat_tag"
    __table_args__ = (Index("ix_chat_tag_user_tag", "user_id", "tag_id"),)

    chat_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("chat.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)


class SharedChat(Base):
    """A frozen snapshot of a chat behind a share link; `id` is the share token."""

    __tablename__ = "shared_chat"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("chat.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    chat: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Folder(Base):
    __tablename__ = "folder"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text)
    items: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    is_expanded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
