"""The `oauth_identity` (provider + subject -> user) and `oauth_state` (pending sign-ins) tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from owlet.tables.base import Base


class OAuthIdentity(Base):
    """One row per account at an identity provider; the primary key makes a subject link to
    exactly one user, even when two first sign-ins of the same person race."""

    __tablename__ = "oauth_identity"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[int] = mapped_column(BigInteger)


class OAuthState(Base):
    """A sign-in between `/oauth/{provider}/login` and its callback; deleted when used, so a
    state works once, whichever worker answers the callback."""

    __tablename__ = "oauth_state"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
