"""Knowledge bases and the files linked into them (§6.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base, JsonType


class Knowledge(Base):
    __tablename__ = "knowledge"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # also its collection name
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class KnowledgeFile(Base):
    __tablename__ = "knowledge_file"

    knowledge_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("knowledge.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("file.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)


class KnowledgeBatch(Base):
    """Files a request is copying into a knowledge base's collection, written (and committed)
    before the copy; the request's own commit deletes it with the links it adds. One left
    behind means the request never committed: its unlinked files' chunks are taken out again
    (knowledge/batches.py)."""

    __tablename__ = "knowledge_batch"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    knowledge_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("knowledge.id", ondelete="CASCADE"), index=True
    )
    file_ids: Mapped[list[str]] = mapped_column(JsonType)
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)
