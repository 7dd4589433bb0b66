"""SQL for `oauth_state` (pending sign-ins) and `oauth_identity` (provider subjects)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.core.clock import now
from owlet.tables import OAuthIdentity, OAuthState, User


async def save_state(session: AsyncSession, state: OAuthState) -> None:
    # Abandoned sign-ins are swept here, so the table stays as small as the ones in flight.
    await session.execute(delete(OAuthState).where(OAuthState.expires_at < now()))
    session.add(state)
    await session.flush()


async def take_state(session: AsyncSession, state: str, provider: str) -> OAuthState | None:
    """The unexpired state, deleted in the same statement's transaction; None if it is
    unknown, expired, for another provider, or a concurrent request took it first."""
    row = await session.get(OAuthState, state)
    if row is None:
        return None
    result = await session.execute(delete(OAuthState).where(OAuthState.state == state))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    if row.provider != provider or row.expires_at < now():
        return None
    return row


async def user_for(session: AsyncSession, provider: str, sub: str) -> User | None:
    return await session.scalar(
        select(User)
        .join(OAuthIdentity, OAuthIdentity.user_id == User.id)
        .where(OAuthIdentity.provider == provider, OAuthIdentity.sub == sub)
    )


async def link(session: AsyncSession, provider: str, sub: str, user_id: str) -> None:
    session.add(OAuthIdentity(provider=provider, sub=sub, user_id=user_id, created_at=now()))
    await session.flush()
