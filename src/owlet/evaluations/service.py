"""Rules of `/api/v1/evaluations`: who sees which feedback, paging, and the leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.core.clock import new_id, now
from owlet.core.paging import page_window
from owlet.errors import Messages, NotFound
from owlet.evaluations import repository
from owlet.evaluations.leaderboard import history, leaderboard
from owlet.evaluations.schemas import FeedbackForm
from owlet.tables import Feedback, User

PAGE_SIZE = 30
VERSION = 0  # Open WebUI's feedback format version; a saved change keeps it


def present(feedback: Feedback, *, snapshot: bool = True) -> dict[str, Any]:
    shown = {
        "id": feedback.id, "user_id": feedback.user_id, "version": feedback.version,
        "type": feedback.type, "data": feedback.data, "meta": feedback.meta,
        "created_at": feedback.created_at, "updated_at": feedback.updated_at,
    }  # fmt: skip
    return {**shown, "snapshot": feedback.snapshot} if snapshot else shown


def _author(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role}


def _fields(form: FeedbackForm) -> dict[str, Any]:
    """What is stored of a form: the parts the client sent, as sent."""
    return {
        "type": form.type,
        "data": form.data.model_dump(exclude_unset=True),
        "meta": form.meta.model_dump(exclude_unset=True),
    }


class FeedbackService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def owned(self, user: User, feedback_id: str, lock: bool = False) -> Feedback:
        """The caller's own feedback, or any for an admin; someone else's reads as missing."""
        feedback = await repository.get(self.session, feedback_id, lock)
        if feedback is None or (feedback.user_id != user.id and user.role != "admin"):
            raise NotFound(Messages.NOT_FOUND)
        return feedback

    # ------------------------------------------------------------ one feedback

    async def create(self, user: User, form: FeedbackForm) -> dict[str, Any]:
        stamp = now()
        snapshot = None if form.snapshot is None else form.snapshot.model_dump(exclude_unset=True)
        feedback = Feedback(
            id=new_id(), user_id=user.id, version=VERSION, snapshot=snapshot,
            created_at=stamp, updated_at=stamp, **_fields(form),
        )  # fmt: skip
        return present(await repository.insert(self.session, feedback))

    async def get(self, user: User, feedback_id: str) -> dict[str, Any]:
        return present(await self.owned(user, feedback_id))

    async def update(self, user: User, feedback_id: str, form: FeedbackForm) -> dict[str, Any]:
        """The client re-sends the whole rating; a form without a snapshot keeps the old one."""
        feedback = await self.owned(user, feedback_id, lock=True)
        for name, value in _fields(form).items():
            setattr(feedback, name, value)
        if form.snapshot is not None:
            feedback.snapshot = form.snapshot.model_dump(exclude_unset=True)
        feedback.updated_at = now()
        await self.session.flush()
        return present(feedback)

    async def delete(self, user: User, feedback_id: str) -> bool:
        feedback = await self.owned(user, feedback_id, lock=True)
        return await repository.delete_one(self.session, feedback.id)

    # ------------------------------------------------------------ the caller's own

    async def list_own(self, user: User, page: int | None) -> list[dict[str, Any]]:
        """Newest first, 30 a page; no page means all (as the chat list)."""
        window = page_window(page, None, None, PAGE_SIZE, all_without_page=True)
        rows = await repository.for_user(self.session, user.id, window.offset, window.limit)
        return [present(f, snapshot=False) for f in rows]

    async def delete_own(self, user: User) -> bool:
        await repository.delete_all(self.session, user.id)
        return True

    # ------------------------------------------------------------ admin

    async def list_all(
        self, order_by: str | None, direction: str | None, page: int | None, model_id: str | None
    ) -> dict[str, Any]:
        key = order_by if order_by in repository.ORDER_KEYS else "updated_at"
        window = page_window(page, None, None, PAGE_SIZE)
        rows, total = await repository.page_with_users(
            self.session, model_id=model_id or None, order_by=key,
            descending=(direction or "desc").lower() != "asc",
            offset=window.offset, limit=PAGE_SIZE,
        )  # fmt: skip
        items = [{**present(f, snapshot=False), "user": _author(u)} for f, u in rows]
        return {"items": items, "total": total}

    async def ids(self) -> list[dict[str, Any]]:
        rows = await repository.ids(self.session)
        return [
            {"id": r.id, "user_id": r.user_id, "created_at": r.created_at,
             "updated_at": r.updated_at}
            for r in rows
        ]  # fmt: skip

    async def export(self, model_id: str | None) -> list[dict[str, Any]]:
        return [present(f) for f in await repository.all_feedback(self.session, model_id or None)]

    async def model_ids(self) -> list[str]:
        return await repository.model_ids(self.session)

    async def delete_all(self) -> bool:
        await repository.delete_all(self.session)
        return True

    async def leaderboard(self, query: str | None) -> dict[str, Any]:
        return {"entries": leaderboard(await repository.rating_data(self.session), query)}

    async def history(self, model_id: str, days: int) -> dict[str, Any]:
        """The last `days` UTC days up to today (0: since the model's first rating)."""
        today = datetime.now(UTC).date()
        start = None if days == 0 else today - timedelta(days=days - 1)
        since = None if start is None else int(datetime.combine(start, time(), UTC).timestamp())
        rows = await repository.rating_rows(self.session, since)
        return {"model_id": model_id, "history": history(rows, model_id, start, today)}
