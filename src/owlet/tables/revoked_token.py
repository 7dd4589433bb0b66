"""The `revoked_token` table: signed-out JWT ids when no Redis is configured."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base


class RevokedToken(Base):
    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
