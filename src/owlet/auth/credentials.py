"""Find the credential on a request and resolve it to an Identity, whatever its carrier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth import api_keys, repository, tokens
from owlet.auth.credential_cache import attach
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import now
from owlet.errors import Forbidden, Messages, Unauthorized
from owlet.tables import User
from owlet.users import permissions as user_permissions
from owlet.users import repository as users

LAST_ACTIVE_WRITE_INTERVAL = 60  # seconds between `last_active_at` writes per user


@dataclass
class Identity:
    user: User
    credential: str
    via_api_key: bool
    claims: dict[str, Any] | None = None

    @property
    def expires_at(self) -> int | None:
        return None if self.claims is None else self.claims.get("exp")


def extract_credential(request: Request, api_key_header: str) -> str | None:
    """`Authorization: Bearer`, else cookie `token`, else `Authorization: <any scheme>`,
    else the API-key header: the order Open WebUI uses."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    cookie = request.cookies.get("token")
    if cookie:
        return cookie
    if value:
        return value
    key = request.headers.get(api_key_header)
    return key.strip() if key and key.strip() else None


def path_allowed(path: str, allowed: str) -> bool:
    """Exact match, or the entry followed by `/` (so `/api/models` allows `/api/models/base`).

    The entry is used as written: `/api/v1/files/` allows `/api/v1/files/` itself and
    `/api/v1/files//…`, never `/api/v1/files/{id}`; `/` allows only `/`.
    """
    for entry in (e.strip() for e in allowed.split(",")):
        if entry and (path == entry or path.startswith(entry + "/")):
            return True
    return False


async def authenticate(
    request: Request, session: AsyncSession, container: Container, config: ConfigStore
) -> Identity:
    credential = extract_credential(request, container.settings.custom_api_key_header)
    if credential is None:
        raise Unauthorized(Messages.NOT_AUTHENTICATED)
    if credential.startswith(api_keys.PREFIX):
        identity = await _from_api_key(request, session, container, config, credential)
    else:
        identity = await _from_jwt(session, container, credential)
        _check_trusted_email(request, container, identity.user)
    if touch(identity.user):
        container.credentials.forget_user(identity.user.id)
    # End the credential check's transaction (and write a touched `last_active_at`) now, so a
    # route that next waits on an upstream holds no database connection or lock meanwhile.
    await session.commit()
    return identity


def _check_trusted_email(request: Request, container: Container, user: User) -> None:
    """Behind a trusted proxy, a token must belong to the person the proxy names now."""
    header = container.settings.webui_auth_trusted_email_header
    if not header:
        return
    named = request.headers.get(header)
    if named is not None and named.strip().lower() != user.email.lower():
        raise Unauthorized(Messages.USER_MISMATCH)


async def identity_from_jwt(session: AsyncSession, container: Container, token: str) -> Identity:
    """A JWT (never an API key) resolved to its user; Unauthorized if it is not usable."""
    return await _from_jwt(session, container, token)


async def _from_jwt(session: AsyncSession, container: Container, token: str) -> Identity:
    try:
        claims = tokens.decode(container.secret_key, token)
    except tokens.TokenError as exc:
        raise Unauthorized(Messages.UNAUTHORIZED) from exc
    if await container.revocations.is_revoked(session, claims["jti"]):
        raise Unauthorized(Messages.TOKEN_REVOKED)
    cache_key = f"user:{claims['id']}"
    cached = container.credentials.get(cache_key)
    if cached is not None:
        user: User | None = await attach(session, cached[0])
    else:
        user = await users.get(session, claims["id"])
        if user is not None:
            container.credentials.put(cache_key, user)
    if user is None:
        raise Unauthorized(Messages.INVALID_TOKEN)
    return Identity(user=user, credential=token, via_api_key=False, claims=claims)


async def _from_api_key(
    request: Request, session: AsyncSession, container: Container, config: ConfigStore, key: str
) -> Identity:
    if not api_keys.looks_valid(key):
        raise Unauthorized(Messages.INVALID_TOKEN)
    cache_key = "key:" + api_keys.digest(key)
    cached = container.credentials.get(cache_key)
    if cached is not None:
        user: User | None = await attach(session, cached[0])
        may_use_keys = bool(cached[1])
    else:
        user = await repository.user_by_api_key_hash(session, api_keys.digest(key))
        may_use_keys = user is not None and (
            user.role == "admin"
            or user_permissions.has(
                await user_permissions.effective(session, config, user.id), "features.api_keys"
            )
        )
        if user is not None:
            container.credentials.put(cache_key, user, may_use_keys)
    if user is None:
        raise Unauthorized(Messages.INVALID_TOKEN)
    if not config.get("auth.enable_api_keys"):
        raise Forbidden(Messages.API_KEY_NOT_ALLOWED)
    if not may_use_keys:
        raise Forbidden(Messages.API_KEY_NOT_ALLOWED)
    if config.get("auth.api_key.endpoint_restrictions") and not path_allowed(
        request.scope["path"], config.get("auth.api_key.allowed_endpoints") or ""
    ):
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    return Identity(user=user, credential=key, via_api_key=True)


def touch(user: User) -> bool:
    """Keep `last_active_at` fresh without writing on every request; True when it wrote."""
    stamp = now()
    if stamp - (user.last_active_at or 0) >= LAST_ACTIVE_WRITE_INTERVAL:
        user.last_active_at = stamp
        return True
    return False
