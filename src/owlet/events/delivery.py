"""Event webhook delivery: an event is sent once the transaction that did the thing commits,
in the background, to every enabled webhook that wants it, through the egress guard.

`Container.events.publish(session, name, ...)` never waits for a receiver and never fails
the request: the event waits on the session until it commits (a rolled-back change sends
nothing), then goes on a bounded queue that a few workers drain. Each POST is capped in time
and in the size of the answer read; failures are logged. A full queue drops the event (and
logs it) rather than letting a slow receiver pile work up without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Unpack

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from owlet.config.store import ConfigStore
from owlet.core.clock import new_id
from owlet.core.egress import Egress, redacted
from owlet.errors import AppError
from owlet.events.catalog import matches
from owlet.events.payload import Details, body_for, envelope, user_ids
from owlet.events.service import KEY
from owlet.groups import repository as groups

log = logging.getLogger(__name__)

WORKERS = 4  # deliveries in flight at once (times the webhooks one event goes to)
QUEUE = 1000  # events waiting for a worker; more are dropped
SECONDS = 10.0  # one POST, connecting included
MAX_ANSWER = 64 * 1024  # bytes of a receiver's answer read before giving up on it
DRAIN_SECONDS = 2.0  # at shutdown, how long queued events may still be sent
_PENDING = "owlet.events.pending"  # session.info: events waiting for the commit
_HOOKED = "owlet.events.hooked"


class EventPublisher:
    def __init__(
        self,
        config: ConfigStore,
        egress: Egress,
        sessionmaker: async_sessionmaker,
        *,
        workers: int = WORKERS,
        queue: int = QUEUE,
        seconds: float = SECONDS,
    ) -> None:
        self.config, self.egress, self.sessionmaker = config, egress, sessionmaker
        self.seconds = seconds
        self.instance_id = new_id()  # this process, as Open WebUI's INSTANCE_ID
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue)
        self._size = workers
        self._workers: list[asyncio.Task[None]] = []
        self._closed = False

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(), name=f"event-webhooks-{n}") for n in range(self._size)
        ]

    async def drained(self) -> None:
        """Returns once every event queued so far has been sent (or given up on)."""
        await self._queue.join()

    async def close(self) -> None:
        """Send what is queued for a moment, then stop, whatever the receivers do."""
        self._closed = True
        if self._workers:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_SECONDS):
                    await self.drained()
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    def publish(self, session: AsyncSession | None, name: str, **details: Unpack[Details]) -> None:
        """Event `name` (a name of `events/catalog.py`), sent when `session` commits (at once
        when there is no session). Never raises: the write it reports on goes ahead."""
        try:
            event = envelope(name, self.instance_id, **details)
        except Exception:
            log.exception("event webhooks: %s could not be described; not sent", name)
            return
        if session is None:
            self._enqueue(event)
            return
        info = session.info
        info.setdefault(_PENDING, []).append(event)
        if not info.get(_HOOKED):
            info[_HOOKED] = True
            orm_event.listen(session.sync_session, "after_commit", self._committed)
            orm_event.listen(session.sync_session, "after_soft_rollback", _discard)

    def _committed(self, session: Session) -> None:
        for event in session.info.pop(_PENDING, []):
            self._enqueue(event)

    def _enqueue(self, event: dict[str, Any]) -> None:
        if self._closed or not self._workers:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("event webhooks: %d events waiting; %s dropped", self._queue.qsize(),
                        event["event"])  # fmt: skip

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._deliver(event)
            except Exception:
                log.exception("event webhooks: delivering %s failed", event["event"])
            finally:
                self._queue.task_done()

    async def _deliver(self, event: dict[str, Any]) -> None:
        config = await self.config.fresh()
        hooks = [
            hook for hook in config.get(KEY) or []
            if hook.get("enabled", True) and hook.get("url")
            and matches(hook.get("events") or [], event["event"])
        ]  # fmt: skip
        if not hooks:
            return
        concerned = user_ids(event)
        memberships: dict[str, list[str]] = {}
        if concerned and any(_group_ids(hook) for hook in hooks):
            async with self.sessionmaker() as session:
                memberships = await groups.group_ids_by_user(session, concerned)
        chosen = [hook for hook in hooks if _targeted(hook, concerned, memberships)]
        await asyncio.gather(*(self._post(hook, event) for hook in chosen))

    async def _post(self, hook: dict[str, Any], event: dict[str, Any]) -> None:
        url = str(hook["url"])
        body = json.dumps(body_for(url, event), default=str).encode()
        try:
            answer = await self.egress.fetch(
                url, method="POST", headers={"Content-Type": "application/json"},
                content=body, max_bytes=MAX_ANSWER, seconds=self.seconds,
            )  # fmt: skip
        except AppError as exc:  # refused by the guard, unreachable, too slow, too large
            log.warning("event webhook %s: %s not delivered: %s", hook.get("id"),
                        event["event"], redacted(str(exc.detail)))  # fmt: skip
            return
        if answer.status >= 400:
            log.warning("event webhook %s: %s answered %d", hook.get("id"), event["event"],
                        answer.status)  # fmt: skip


def _discard(session: Session, rolled_back: SessionTransaction) -> None:
    # Any rollback of the whole transaction, even one with nothing yet sent to the database
    # (which `after_rollback` would miss); a savepoint's leaves the outer events alone.
    if not rolled_back.nested:
        session.info.pop(_PENDING, None)


def _group_ids(hook: dict[str, Any]) -> set[str]:
    return {str(t["id"]) for t in hook.get("targets") or [] if t.get("type") == "group"}


def _targeted(hook: dict[str, Any], concerned: set[str], memberships: dict[str, list[str]]) -> bool:
    """Open WebUI's targets: none (null) means every event; `[]` only events that concern no
    account; else events concerning a listed user, or a member of a listed group."""
    targets = hook.get("targets")
    if targets is None:
        return True
    if not targets or not concerned:
        return not targets and not concerned
    users = {str(t["id"]) for t in targets if t.get("type") == "user"}
    if users & concerned:
        return True
    wanted = _group_ids(hook)
    return any(wanted.intersection(memberships.get(uid, ())) for uid in concerned)
