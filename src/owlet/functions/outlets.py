"""Outlet filters run inline for API callers (`ENABLE_API_OUTLET_FILTERS=true`).

By default a direct API completion runs no `outlet` (seed page 003: the client calls
`POST /api/chat/completed` itself). With the setting on, the outlets run once the answer is
complete: on a whole completion their rewrite replaces the answer's content; on a stream
they run before `[DONE]` is relayed (the text already sent cannot be taken back, so their
rewrite only reaches a recorded chat, as `content` with `originalContent`). Each answer whose
outlets ran is marked (by its message id and by its text before and after), so a later
`/api/chat/completed` for the same message does not run them a second time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from owlet.completions.answer import Answer
from owlet.errors import BadRequest
from owlet.functions import runtime
from owlet.functions.marks import OutletMarks, answer_keys, last_assistant
from owlet.tables import User

log = logging.getLogger(__name__)


class InlineOutlet:
    """The outlet filters of one completion, run once its answer is complete."""

    def __init__(
        self,
        marks: OutletMarks,
        filters: runtime.Chosen,
        user: User,
        model_entry: dict[str, Any],
        metadata: dict[str, Any],
        request: dict[str, Any],
    ) -> None:
        self.marks = marks
        self.filters = filters
        self.user = user
        self.model_entry = model_entry
        self.metadata = metadata
        self.request = request
        self.original: str | None = None  # the answer's content before the outlets
        self.result: str | None = None  # and after them, once they ran

    @classmethod
    def wanted(cls, filters: runtime.Chosen) -> bool:
        return any(callable(getattr(loaded.instance, "outlet", None)) for _, loaded in filters)

    async def apply(self, content: str) -> str:
        """Run the outlets on the finished answer; the content they leave."""
        message_id = self.metadata.get("message_id")
        history = [
            {key: m[key] for key in ("id", "role", "content") if key in m}
            for m in self.request.get("messages") or []
            if isinstance(m, dict)
        ]
        assistant = {"id": message_id, "role": "assistant", "content": content}
        body = {
            "model": self.model_entry.get("id"),
            "messages": [*history, assistant],
            "chat_id": self.metadata.get("chat_id"),
            "session_id": self.metadata.get("session_id"),
            "id": message_id,
            "filter_ids": self.metadata.get("filter_ids"),
        }
        out = await runtime.run(
            self.filters, self.user, self.model_entry, "outlet", body, self.metadata
        )
        rewritten = (last_assistant(out) or {}).get("content")
        self.original = content
        self.result = rewritten if isinstance(rewritten, str) else content
        # An answer with a message id is known by it; one without (a plain API call) by its
        # text, so that a later answer with the same text and its own id is not mistaken for it.
        texts = [] if message_id else [content, self.result]
        await self.marks.mark(self.user.id, answer_keys(message_id, texts))
        return self.result

    async def on_completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """A whole `chat.completion`, with its content as the outlets leave it."""
        answer = Answer()
        answer.take_completion(body)
        rewritten = await self.apply(answer.content)
        choices = body.get("choices")
        first = choices[0] if isinstance(choices, list) and choices else None
        message = first.get("message") if isinstance(first, dict) else None
        if isinstance(message, dict) and rewritten != answer.content:
            message["content"] = rewritten
        return body

    async def on_stream(self, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The frames as they are; the outlets run on the whole text before `[DONE]`."""
        answer = Answer()
        ran = False
        async for frame in frames:
            if answer.take_frame(frame) and not ran:
                ran = True
                await self._after_stream(answer)
            yield frame
        if not ran:
            await self._after_stream(answer)

    async def _after_stream(self, answer: Answer) -> None:
        if answer.error is not None:
            return  # no complete answer to filter
        try:
            await self.apply(answer.content)
        except BadRequest as exc:  # the answer is already out: an outlet failing is logged
            log.warning("outlet after a stream failed: %s", exc.detail)
