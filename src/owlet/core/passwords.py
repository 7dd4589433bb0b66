"""Password hashing: bcrypt by default, argon2 accepted; always off the event loop."""

from __future__ import annotations

import asyncio
import re

import bcrypt
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

BCRYPT_MAX_BYTES = 72


class PasswordRuleError(ValueError):
    """A password breaks a rule; the message is safe to show the client."""


def check_password_rules(password: str, *, pattern: str | None, hint: str | None) -> None:
    """Raise PasswordRuleError unless the password fits bcrypt and the configured pattern."""
    if len(password.encode()) > BCRYPT_MAX_BYTES:
        raise PasswordRuleError("too long")
    if pattern is not None and not re.match(pattern, password):
        raise PasswordRuleError(hint or "")


class PasswordHasher:
    def __init__(self, algorithm: str = "bcrypt", bcrypt_rounds: int = 12) -> None:
        self.algorithm = algorithm
        self._rounds = bcrypt_rounds
        self._argon2 = Argon2Hasher()
        # Verifying against this keeps sign-in timing the same for unknown emails;
        # made on first use so start-up does not pay for a bcrypt round.
        self._dummy: str | None = None

    def _hash(self, password: str) -> str:
        if self.algorithm == "argon2":
            return self._argon2.hash(password)
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(self._rounds)).decode()

    def _verify(self, password: str, hashed: str) -> bool:
        if hashed.startswith("$argon2"):
            try:
                return self._argon2.verify(hashed, password)
            except (VerificationError, InvalidHashError):
                return False
        raw = password.encode()
        if len(raw) > BCRYPT_MAX_BYTES:
            return False
        try:
            return bcrypt.checkpw(raw, hashed.encode())
        except ValueError:
            return False

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Constant-ish time: an absent hash still costs one bcrypt check."""
        if hashed is None:
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(self._hash, "owlet-timing-guard")
            await asyncio.to_thread(self._verify, password, self._dummy)
            return False
        return await asyncio.to_thread(self._verify, password, hashed)
