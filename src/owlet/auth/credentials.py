"""Find the credential on a request and resolve it to an Identity, whatever its carrier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth import api_keys, repository, tokens
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
        identity = await _from_api_key(request, session, config, credential)
    else:
        identity = await _from_jwt(session, container, credential)
    _touch(identity.user)
    return identity


async def _from_jwt(session: AsyncSession, container: Container, token: str) -> Identity:
    try:
        claims = tokens.decode(container.secret_key, token)
    except tokens.TokenError as exc:
        raise Unauthorized(Messages.UNAUTHORIZED) from exc
    if await container.revocations.is_revoked(session, claims["jti"]):
        raise Unauthorized(Messages.TOKEN_REVOKED)
    user = await users.get(session, claims["id"])
    if user is None:
        raise Unauthorized(Messages.INVALID_TOKEN)
    return Identity(user=user, credential=token, via_api_key=False, claims=claims)


async def _from_api_key(
    request: Request, session: AsyncSession, config: ConfigStore, key: str
) -> Identity:
    user = None
    if api_keys.looks_valid(key):
        user = await repository.user_by_api_key_hash(session, api_keys.digest(key))
    if user is None:
        raise Unauthorized(Messages.INVALID_TOKEN)
    if not config.get("auth.enable_api_keys"):
        raise Forbidden(Messages.API_KEY_NOT_ALLOWED)
    if user.role != "admin":
        perms = await user_permissions.effective(session, config, user.id)
        if not user_permissions.has(perms, "features.api_keys"):
            raise Forbidden(Messages.API_KEY_NOT_ALLOWED)
    if config.get("auth.api_key.endpoint_restrictions") and not path_allowed(
        request.scope["path"], config.get("auth.api_key.allowed_endpoints") or ""
    ):
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    return Identity(user=user, credential=key, via_api_key=True)


def _touch(user: User) -> None:
    """Keep `last_active_at` fresh without writing on every request."""
    stamp = now()
    if stamp - (user.last_active_at or 0) >= LAST_ACTIVE_WRITE_INTERVAL:
        user.last_active_at = stamp
