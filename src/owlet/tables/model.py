"""The `model` table: custom (preset) models and overrides of provider models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base, JsonType


class Model(Base):
    __tablename__ = "model"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    base_model_id: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JsonType)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
