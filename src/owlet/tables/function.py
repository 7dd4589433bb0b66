"""The `function` table: admin-authored Python plugins (reference §7.1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base, JsonType


class Function(Base):
    __tablename__ = "function"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16))  # pipe | filter | action (from the source)
    content: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    valves: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_global: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
