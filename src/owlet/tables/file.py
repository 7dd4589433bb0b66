"""The `file` table: uploads, their extracted text and their processing state (§6.1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base, JsonType


class File(Base):
    __tablename__ = "file"
    __table_args__ = (Index("ix_file_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # of the extracted text
    filename: Mapped[str] = mapped_column(Text)  # the client's name: metadata only
    path: Mapped[str | None] = mapped_column(Text, nullable=True)  # server-made storage key
    # {status, content, error}: the state lives here so any worker can answer for it
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
