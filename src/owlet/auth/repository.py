"""SQL for `auth` (password hashes), `api_key` and `revoked_token`."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.core.clock import now
from owlet.tables import ApiKey, Auth, RevokedToken, User


async def get_auth_by_email(session: AsyncSession, email: str) -> Auth | None:
    return await session.scalar(select(Auth).where(Auth.email == email))


async def get_auth(session: AsyncSession, user_id: str) -> Auth | None:
    return await session.get(Auth, user_id)


async def insert_auth(session: AsyncSession, user_id: str, email: str, password_hash: str) -> None:
    session.add(Auth(id=user_id, email=email, password=password_hash, active=True))
    await session.flush()


async def set_password(session: AsyncSession, user_id: str, password_hash: str) -> None:
    auth = await session.get(Auth, user_id)
    if auth is not None:
        auth.password = password_hash
        await session.flush()


async def set_auth_email(session: AsyncSession, user_id: str, email: str) -> None:
    auth = await session.get(Auth, user_id)
    if auth is not None:
        auth.email = email
        await session.flush()


async def user_by_api_key_hash(session: AsyncSession, key_hash: str) -> User | None:
    return await session.scalar(
        select(User).join(ApiKey, ApiKey.user_id == User.id).where(ApiKey.key_hash == key_hash)
    )


async def get_api_key(session: AsyncSession, user_id: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.user_id == user_id))


async def replace_api_key(
    session: AsyncSession, user_id: str, key_hash: str, key_encrypted: str
) -> None:
    await session.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
    stamp = now()
    session.add(
        ApiKey(
            id=f"key_{user_id}",
            user_id=user_id,
            key_hash=key_hash,
            key_encrypted=key_encrypted,
            created_at=stamp,
            updated_at=stamp,
        )
    )
    await session.flush()


async def delete_api_key(session: AsyncSession, user_id: str) -> bool:
    """Whether the user had a key."""
    result = await session.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def revoke_token(session: AsyncSession, jti: str, expires_at: int | None) -> None:
    stamp = now()
    await session.execute(
        delete(RevokedToken).where(
            RevokedToken.expires_at.is_not(None), RevokedToken.expires_at < stamp
        )
    )
    if await session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, expires_at=expires_at))
    await session.flush()


async def is_token_revoked(session: AsyncSession, jti: str) -> bool:
    return await session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None
