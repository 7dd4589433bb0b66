"""A short-lived cache of who a credential belongs to, for the request hot path.

Looking the caller up costs a database round trip on every request, more than the whole
proxy overhead budget. Entries live for MODELS_CACHE_TTL-like seconds (CREDENTIAL_CACHE_TTL,
default 1 s) and are dropped at once when this process changes the user or their API key;
other workers see such changes within the TTL, as with the config.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from owlet.tables import User


class CredentialCache:
    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, dict[str, Any], Any]] = {}

    def get(self, key: str) -> tuple[dict[str, Any], Any] | None:
        """(the user's column values, whatever was stored beside them), if still fresh."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, values, extra = entry
        if time.monotonic() - stored_at > self.ttl:
            self._entries.pop(key, None)
            return None
        return values, extra

    def put(self, key: str, user: User, extra: Any = None) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded memory; a cold cache only costs a query each
        columns = {attr.key: getattr(user, attr.key) for attr in inspect(User).column_attrs}
        self._entries[key] = (time.monotonic(), columns, extra)

    def forget_user(self, user_id: str) -> None:
        for key in [k for k, (_t, values, _x) in self._entries.items() if values["id"] == user_id]:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


async def attach(session: AsyncSession, values: dict[str, Any]) -> User:
    """A session-bound User from cached values, without a SELECT; changes to it persist."""
    user = User(**values)
    make_transient_to_detached(user)
    return await session.merge(user, load=False)
