"""A chat answer the server owns ("UI mode", reference §1.4): the request returns at once
with the task id, and this task reads the model's answer to its end, sends it to the user's
sockets as `chat:completion` deltas, saves it (checkpointed, never per token) and runs the
background tasks the client asked for (title, tags, follow-ups).

Bytes on the wire: the first piece of text goes out as soon as it arrives; after it, text
that arrives within `FLUSH_SECONDS` of the last event joins the next event, so a fast model
does not cost an envelope per token (docs/realtime.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from owlet.chats.recorder import ChatRecorder
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.models.registry import ResolvedModel
from owlet.providers.answer import ChatStream, JsonBody
from owlet.tables import Chat, User

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
Emit = Callable[[str, Any], Awaitable[None]]


@dataclass
class Generation:
    container: Container
    config: ConfigStore
    user: User
    model: ResolvedModel
    recorder: ChatRecorder
    result: dict[str, Any] | JsonBody | ChatStream
    selected: str | None = None
    background: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def emitter(self) -> Emit:
        realtime = self.container.realtime
        chat_id, message_id = self.recorder.chat_id, str(self.recorder.message["id"])

        async def emit(kind: str, data: Any) -> None:
            await realtime.emit_chat(self.user.id, chat_id, message_id, kind, data)

        return emit

    async def run(self) -> None:
        emit = self.emitter()
        recorder, answer = self.recorder, self.recorder.answer
        await emit("chat:active", {"active": True})
        done = False
        try:
            if recorder.sources:
                await emit("chat:completion", {"sources": recorder.sources})
            if self.selected is not None:
                await emit("chat:completion", {"selected_model_id": self.selected})
            if isinstance(self.result, ChatStream):
                await self._relay(self.result, emit)
            else:
                body = self.result.parsed() if isinstance(self.result, JsonBody) else self.result
                answer.take_completion(body)
                await emit("chat:completion", _delta(answer.content, answer.reasoning))
            await recorder.save(done=True)
            done = True
            if answer.error is not None:
                await emit("chat:completion", {"error": {"content": answer.error}})
            if answer.usage is not None:
                await emit("chat:completion", {"usage": answer.usage})
            title = await self._background(emit)
            await emit("chat:completion", {"done": True, "content": answer.content,
                                           "title": title})  # fmt: skip
        except asyncio.CancelledError:  # stopped: keep what was said so far
            await _closed(recorder, done)
            await emit("chat:tasks:cancel", {})
            raise
        except Exception as exc:
            log.exception("generation in chat %s failed", recorder.chat_id)
            answer.error = answer.error or str(exc)
            await _closed(recorder, done)
            await emit("chat:completion", {"error": {"content": answer.error}, "done": True})
        finally:
            if isinstance(self.result, ChatStream):
                await self.result.aclose()
            await emit("chat:active", {"active": False})

    async def _relay(self, stream: ChatStream, emit: Emit) -> None:
        recorder, answer = self.recorder, self.recorder.answer
        text, reasoning = "", ""  # not yet sent
        sent_at: float | None = None
        async for frame in stream:
            content_before, reasoning_before = len(answer.content), len(answer.reasoning)
            answer.take_frame(frame)
            text += answer.content[content_before:]
            reasoning += answer.reasoning[reasoning_before:]
            now = time.monotonic()
            if (text or reasoning) and (sent_at is None or now - sent_at >= FLUSH_SECONDS):
                await emit("chat:completion", _delta(text, reasoning))
                text, reasoning, sent_at = "", "", now
            if recorder.due():
                await recorder.save(done=False)
        if text or reasoning:
            await emit("chat:completion", _delta(text, reasoning))

    async def _background(self, emit: Emit) -> str | None:
        """Title, tags and follow-ups, as the client asked; the chat's title (None if kept)."""
        wanted = self.background
        if not isinstance(wanted, dict) or not self.recorder.answer.content:
            return None
        title = None
        if wanted.get("title_generation"):
            title = await self._title()
            if title:
                await emit("chat:title", title)
        if wanted.get("tags_generation"):
            tags = await self._ask_list(TAGS_PROMPT, "tags")
            if tags:
                await self._save(tags=tags)
                await emit("chat:tags", tags)
        if wanted.get("follow_up_generation"):
            follow_ups = await self._ask_list(FOLLOW_UPS_PROMPT, "follow_ups")
            if follow_ups:
                await emit("chat:message:follow_ups", {"follow_ups": follow_ups})
        return title

    async def _title(self) -> str | None:
        async with self.container.sessionmaker() as session:
            chat = await session.get(Chat, self.recorder.chat_id)
            if chat is None or chat.title not in ("", "New Chat"):
                return None
        reply = await self._ask(TITLE_PROMPT)
        parsed = _json_in(reply)
        title = parsed.get("title") if isinstance(parsed, dict) else None
        if not isinstance(title, str):
            title = reply.strip().splitlines()[0] if reply.strip() else ""
        title = title.strip().strip('"').strip()[:100]
        if title:
            await self._save(title=title)
        return title or None

    async def _ask_list(self, prompt: str, key: str) -> list[str]:
        parsed = _json_in(await self._ask(prompt))
        values = parsed.get(key) if isinstance(parsed, dict) else None
        if not isinstance(values, list):
            return []
        return [str(v).strip()[:100] for v in values if str(v).strip()][:10]

    async def _ask(self, instruction: str) -> str:
        """One whole answer from the task model (the chat's model) about this exchange."""
        transcript = "\n".join(
            f"{m.get('role')}: {m.get('content')}"
            for m in [*self.messages[-4:], {"role": "assistant",
                                             "content": self.recorder.answer.content}]
            if isinstance(m, dict) and isinstance(m.get("content"), str)
        )[-4000:]  # fmt: skip
        body = {"model": self.model.entry["id"], "stream": False, "messages": [
            {"role": "user", "content": f"{instruction}\n\n<chat_history>\n{transcript}\n"
                                        "</chat_history>"}]}  # fmt: skip
        try:
            result = await self.container.gateway.chat(
                self.config, self.model.base, body, caller=self.user.id
            )
        except Exception as exc:  # a background task never fails the answer
            log.warning("background task for chat %s failed: %s", self.recorder.chat_id, exc)
            return ""
        if isinstance(result, ChatStream):
            await result.aclose()
            return ""
        parsed = result.parsed() if isinstance(result, JsonBody) else result
        choices = parsed.get("choices") or [{}]
        content = (choices[0].get("message") or {}).get("content")
        return content if isinstance(content, str) else ""

    async def _save(self, **fields: Any) -> None:
        async with self.container.sessionmaker() as session:
            chat = await session.get(Chat, self.recorder.chat_id)
            if chat is None:
                return
            if "title" in fields:
                chat.title = fields["title"]
            if "tags" in fields:
                fields["tags"] = [re.sub(r"\s+", "_", t.lower()) for t in fields["tags"]]
            chat.doc = {**(chat.doc or {}), **fields}
            await session.commit()


TITLE_PROMPT = (
    "Give the conversation below a concise title of 3-5 words that sums up its subject. "
    'Answer only with JSON: {"title": "..."}'
)
TAGS_PROMPT = (
    "Give the conversation below 1-3 broad tags for its subject areas. "
    'Answer only with JSON: {"tags": ["..."]}'
)
FOLLOW_UPS_PROMPT = (
    "Suggest 3 short questions the user might ask next about the conversation below. "
    'Answer only with JSON: {"follow_ups": ["..."]}'
)


def _delta(text: str, reasoning: str = "") -> dict[str, Any]:
    delta: dict[str, Any] = {"content": text} if text else {}
    if reasoning:
        delta["reasoning_content"] = reasoning
    return {"choices": [{"delta": delta}]}


def _json_in(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None


async def _closed(recorder: ChatRecorder, done: bool) -> None:
    if done:
        return
    try:
        await asyncio.shield(recorder.save(done=True))
    except Exception:
        log.exception("could not close the answer in chat %s", recorder.chat_id)
