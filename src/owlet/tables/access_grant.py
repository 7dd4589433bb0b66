"""The `access_grant` table: who may read or write a shared resource."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base


class AccessGrant(Base):
    __tablename__ = "access_grant"
    __table_args__ = (
        UniqueConstraint(
            "resource_type",
            "resource_id",
            "principal_type",
            "principal_id",
            "permission",
            name="uq_access_grant_grant",  # the generated name is over PostgreSQL's 63 chars
        ),
        Index("ix_access_grant_resource", "resource_type", "resource_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(256))
    principal_type: Mapped[str] = mapped_column(String(16))  # user | group | anyone
    principal_id: Mapped[str] = mapped_column(String(64))  # a user or group id, or `*`
    permission: Mapped[str] = mapped_column(String(8))  # read | write
    created_at: Mapped[int] = mapped_column(BigInteger)
