"""A short-lived snapshot of model records and their grants, for the request hot path.

Every chat request resolves its model against the records; reading them from the database
each time would cost more than the whole proxy overhead budget. The snapshot is reloaded
when older than MODELS_CACHE_TTL (default 1 s), and dropped as soon as this process commits
a change to a record or grant; other workers see the change within the TTL, as with config.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access import repository as grants_repository
from owlet.models import repository
from owlet.tables import AccessGrant, Model

RESOURCE = "model"


@dataclass(frozen=True)
class RecordSnapshot:
    records: dict[str, Model] = field(default_factory=dict)
    grants: dict[str, list[AccessGrant]] = field(default_factory=dict)


class ModelRecordCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._snapshot: RecordSnapshot | None = None
        self._loaded_at = 0.0
        self._generation = 0

    async def get(self, session: AsyncSession) -> RecordSnapshot:
        if self._snapshot is not None and time.monotonic() - self._loaded_at <= self.ttl:
            return self._snapshot
        generation = self._generation
        rows = await repository.all_models(session)
        records = {r.id: r for r in rows}
        grants = await grants_repository.for_resources(session, RESOURCE, records)
        snapshot = RecordSnapshot(records, grants)
        for row in rows:
            session.expunge(row)  # shared across requests: never tied to this session
        for items in grants.values():
            for grant in items:
                session.expunge(grant)
        if generation == self._generation:  # nothing was invalidated while loading
            self._snapshot, self._loaded_at = snapshot, time.monotonic()
        return snapshot

    def invalidate(self) -> None:
        self._snapshot = None
        self._generation += 1

    def invalidate_on_commit(self, session: AsyncSession) -> None:
        """Drop the snapshot now and again when `session` commits the change."""
        self.invalidate()

        def after_commit(_session: Any) -> None:
            self.invalidate()

        event.listen(session.sync_session, "after_commit", after_commit, once=True)
