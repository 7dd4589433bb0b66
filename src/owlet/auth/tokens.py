"""JWTs: HS256 with exactly the claims `id`, `iat`, `exp` (when expiring) and `jti`."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: int | None


class TokenError(Exception):
    """The token does not decode, is expired, or lacks the `id` claim."""


def issue(secret: str, user_id: str, lifetime_seconds: float | None) -> IssuedToken:
    issued_at = int(time.time())
    jti = str(uuid.uuid4())
    claims: dict[str, Any] = {"id": user_id, "iat": issued_at, "jti": jti}
    expires_at = None
    if lifetime_seconds is not None:
        expires_at = issued_at + max(1, int(lifetime_seconds))
        claims["exp"] = expires_at
    return IssuedToken(jwt.encode(claims, secret, algorithm=ALGORITHM), jti, expires_at)


def decode(secret: str, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["id", "iat", "jti"]}
        )
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    if not isinstance(claims.get("id"), str) or not isinstance(claims.get("jti"), str):
        raise TokenError("malformed claims")
    return claims
