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
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from owlet.chats.recorder import ChatRecorder
from owlet.chats.service import ChatService
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.errors import AppError
from owlet.models.registry import ResolvedModel
from owlet.providers.answer import ChatStream, JsonBody
from owlet.tables import Chat, User
from owlet.tasks.prompts import Kind
from owlet.tasks.service import TaskService, answer_of, ask

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
        folder = {"folder_id": recorder.folder_id}
        await emit("chat:active", {"active": True, **folder})
        done = False
        try:
            if recorder.sources:
                status = {"action": "sources_retrieved", "count": len(recorder.sources),
                          "done": True}  # fmt: skip
                await emit("status", status)
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
            await emit("chat:active", {"active": False, **folder})

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
        """Title, tags and follow-ups, as the client asked; the chat's new title, if any."""
        wanted = self.background
        if not isinstance(wanted, dict) or not self.recorder.answer.content:
            return None
        title = None
        if wanted.get("title_generation") and await self._untitled():
            title = await self._task("title")
            if title:
                await self._save(title=title)
                await emit("chat:title", title)
                # The sidebar re-reads its list on this, as the 0.12.4 client does.
                await emit("chat:list", {"chat_id": self.recorder.chat_id,
                                         "folder_id": self.recorder.folder_id})  # fmt: skip
        if wanted.get("tags_generation"):
            tags = await self._task("tags")
            if tags:
                await self._save(tags=tags)
                await emit("chat:tags", tags)
        if wanted.get("follow_up_generation"):
            follow_ups = await self._task("follow_up")
            if follow_ups:
                await emit("chat:message:follow_ups", {"follow_ups": follow_ups})
        return title

    async def _untitled(self) -> bool:
        async with self.container.sessionmaker() as session:
            chat = await session.get(Chat, self.recorder.chat_id)
            return chat is not None and chat.title in ("", "New Chat")

    async def _task(self, kind: Kind) -> Any:
        """The task's answer from the task model, or None (a failing task never fails the
        answer: it is logged)."""
        exchange = [*self.messages[-6:],
                    {"role": "assistant", "content": self.recorder.answer.content}]  # fmt: skip
        try:
            async with self.container.sessionmaker() as session:
                service = TaskService(session, self.container, self.config)
                if not service.enabled(kind):
                    return None
                model = await service.model_for(self.user, str(self.model.entry["id"]))
                prompt = service.prompt(kind, exchange)
            completion = await ask(self.container, self.config, model, prompt, self.user.id)
        except Exception as exc:
            log.warning("%s for chat %s failed: %s", kind, self.recorder.chat_id, exc)
            return None
        return answer_of(kind, completion)

    async def _save(self, title: str | None = None, tags: list[str] | None = None) -> None:
        """The generated title into the chat, the tags onto it (as `/chats/{id}/tags` adds
        them); a chat deleted meanwhile is left alone."""
        async with self.container.sessionmaker() as session:
            chat = await session.get(Chat, self.recorder.chat_id)
            if chat is None:
                return
            if title is not None:
                chat.title = title
                chat.doc = {**(chat.doc or {}), "title": title}
            chats = ChatService(session, self.container, self.config)
            for name in tags or []:
                try:
                    await chats.add_tag(self.user, chat.id, name)
                except AppError as exc:  # a name the tag rules refuse
                    log.info("tag %r for chat %s refused: %s", name, chat.id, exc.detail)
            await session.commit()


def _delta(text: str, reasoning: str = "") -> dict[str, Any]:
    delta: dict[str, Any] = {"content": text} if text else {}
    if reasoning:
        delta["reasoning_content"] = reasoning
    return {"choices": [{"delta": delta}]}


async def _closed(recorder: ChatRecorder, done: bool) -> None:
    if done:
        return
    try:
        await asyncio.shield(recorder.save(done=True))
    except Exception:
        log.exception("could not close the answer in chat %s", recorder.chat_id)
