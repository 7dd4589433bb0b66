"""The `user` table: identity, role, profile and per-user settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base, JsonType


class User(Base):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(16), default="pending")
    name: Mapped[str] = mapped_column(String(255))
    profile_image_url: Mapped[str] = mapped_column(Text, default="")
    profile_banner_image_url: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    gender: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(64))
    presence_state: Mapped[str | None] = mapped_column(String(32))
    status_emoji: Mapped[str | None] = mapped_column(String(64))
    status_message: Mapped[str | None] = mapped_column(Text)
    status_expires_at: Mapped[int | None] = mapped_column(BigInteger)
    info: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    variables: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    oauth: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    scim: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # The account that became admin by signing up first: it may not be demoted or deleted.
    primary_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_active_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)
