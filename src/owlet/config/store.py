"""ConfigStore: cached reads of the `config` table, seeded from env, shared by workers."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owlet.config import repository
from owlet.config.registry import DEFAULTS, env_defaults
from owlet.settings import Settings

# Other workers see an admin's change within this many seconds.
REFRESH_SECONDS = 1.0


class ConfigStore:
    """Holds the current config in memory; refreshes from the DB at most once a second."""

    def __init__(self, sessionmaker: async_sessionmaker, settings: Settings) -> None:
        self._sessionmaker = sessionmaker
        self._persistent = settings.enable_persistent_config
        self._values: dict[str, Any] = env_defaults(settings)
        self._loaded_at = 0.0

    async def start(self) -> None:
        """Seed keys missing from the DB with env values, then load everything."""
        if not self._persistent:
            self._loaded_at = float("inf")
            return
        try:
            async with self._sessionmaker() as session:
                await repository.insert_missing(session, self._values)
                await session.commit()
        except IntegrityError:
            pass  # another worker seeded the same keys first; its values are as good
        await self.refresh()

    async def refresh(self) -> None:
        async with self._sessionmaker() as session:
            stored = await repository.load_all(session)
        self._values.update({k: v for k, v in stored.items() if k in DEFAULTS})
        self._loaded_at = time.monotonic()

    async def fresh(self) -> ConfigStore:
        if time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            await self.refresh()
        return self

    def get(self, key: str) -> Any:
        return self._values[key]

    def snapshot(self) -> dict[str, Any]:
        return dict(self._values)

    async def stage(self, session: AsyncSession, values: dict[str, Any]) -> None:
        """Write `values` in the caller's transaction; they take effect when it commits."""
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise KeyError(f"unknown config keys: {sorted(unknown)}")
        if self._persistent:
            await repository.upsert(session, values)

        def apply(_session: Any) -> None:
            self._values.update(values)

        event.listen(session.sync_session, "after_commit", apply, once=True)


class Staged:
    """A config read as it will be once staged `values` are committed (for echoing them)."""

    def __init__(self, config: ConfigStore, values: dict[str, Any]) -> None:
        self.config, self.values = config, values

    def get(self, key: str) -> Any:
        return self.values[key] if key in self.values else self.config.get(key)
