"""Completions that save themselves into a chat (reference §1.4, "chat bookkeeping").

When `/api/chat/completions` names a chat (`chat_id` plus the assistant message `id`), or
asks for a new one (`parent_id: null` and no `chat_id`), the user message and an assistant
placeholder are written before the model is called, and the answer is written when it ends:
streamed or not, and whether or not the client is still connected (a streamed answer is read
to its end by a task of its own). No database session is held while the model answers; a
long stream is saved at most every `SAVE_EVERY` seconds, never per token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.chats import document as docs
from owlet.chats import repository as repo
from owlet.chats.service import ChatService
from owlet.completions.answer import Answer
from owlet.container import Container
from owlet.core.clock import new_id, now
from owlet.core.streams import SSE_MEDIA_TYPE, STREAM_HEADERS, sse_data
from owlet.db.retry import retry_busy
from owlet.errors import BadRequest, Messages, NotFound
from owlet.functions.outlets import InlineOutlet
from owlet.models.registry import ResolvedModel
from owlet.providers.answer import ChatStream, JsonBody
from owlet.tables import Chat, User

log = logging.getLogger(__name__)

SAVE_EVERY = 5.0  # seconds between saves of a long streamed answer
SAVE_LATER = (5.0, 15.0, 30.0, 60.0)  # the final save's last tries, after the client's end
NOT_SAVED = "The answer could not be saved into the chat; it is shown here only."
LOCAL_PREFIXES = ("temporary:", "local:", "channel:")  # chats that are not stored rows
_running: set[asyncio.Task[None]] = set()  # streams being recorded after their client left


def _wants_chat(body: dict[str, Any]) -> bool:
    chat_id = body.get("chat_id")
    if isinstance(chat_id, str) and chat_id:
        return not chat_id.startswith(LOCAL_PREFIXES)
    return "parent_id" in body and body["parent_id"] is None


class ChatRecorder:
    def __init__(
        self, container: Container, chat_id: str, message: dict[str, Any], created: bool
    ) -> None:
        self.container = container
        self.chat_id = chat_id
        self.message = message  # the assistant message as stored so far
        self.created = created
        self.answer = Answer()
        self.outlet: InlineOutlet | None = None  # outlets that ran inline rewrite the content
        self.gone = False  # the message or chat was deleted while the model answered
        self.sources: list[dict[str, Any]] = []  # RAG citations, stored on the message
        self.folder_id: str | None = None  # where the chat sits, for the events that say so
        self.user: User | None = None  # who asked, for the event webhooks
        self._saved_at = time.monotonic()

    # ------------------------------------------------------------ before the model

    @classmethod
    async def open(
        cls,
        session: AsyncSession,
        container: Container,
        service: ChatService,
        user: User,
        body: dict[str, Any],
        model: ResolvedModel,
    ) -> ChatRecorder | None:
        """Write the user message and the assistant placeholder; None when no chat is kept."""
        if not _wants_chat(body):
            return None
        chat_id = body.get("chat_id")
        message_id = body.get("id")
        if isinstance(chat_id, str) and chat_id:
            chat = await repo.owned(session, chat_id, user.id, lock=True)
            if chat is None:
                raise NotFound(Messages.NOT_FOUND)
            if not isinstance(message_id, str) or not message_id:
                return None  # a chat but no assistant message id: nothing to record into
        model_id = model.selected_model_id or str(model.entry["id"])
        user_message = _user_message(body, model_id)
        if user_message is not None:
            user_message.setdefault("user_id", user.id)
            user_message.setdefault("user", {"id": user.id, "name": user.name})
        assistant_id = message_id if isinstance(message_id, str) and message_id else new_id()
        parent = user_message["id"] if user_message else body.get("parent_id")
        placeholder = {
            "id": assistant_id,
            "parentId": parent if isinstance(parent, str) else None,
            "role": "assistant",
            "content": "",
            "done": False,
            "model": model_id,
            "modelIdx": None,
            "timestamp": now(),
            "user_id": user.id,
        }
        if model.selected_model_id:
            placeholder["selectedModelId"] = model.selected_model_id
        if placeholder["parentId"] == assistant_id or (
            user_message and user_message.get("parentId") in (user_message["id"], assistant_id)
        ):
            raise BadRequest("A message cannot be its own parent.")
        if user_message and len(user_message["id"]) > docs.MAX_ID_LENGTH:
            raise BadRequest(f"Message ids must be at most {docs.MAX_ID_LENGTH} characters.")
        if len(assistant_id) > docs.MAX_ID_LENGTH:
            raise BadRequest(f"Message ids must be at most {docs.MAX_ID_LENGTH} characters.")
        items = ([(user_message["id"], user_message)] if user_message else []) + [
            (assistant_id, placeholder)
        ]
        if isinstance(chat_id, str) and chat_id:
            assert chat is not None
            items = await _merged(session, chat.id, items)
            placeholder = items[-1][1]
            await repo.upsert_messages(session, chat.id, items, now())
            doc = docs.with_current_id(chat.doc, assistant_id)
            models = doc.get("models")
            if isinstance(models, list) and model_id not in models:
                doc = {**doc, "models": [*models, model_id]}
            chat.doc = doc
            chat.updated_at = now()
            created = False
        else:
            messages = {mid: {**m, "childrenIds": []} for mid, m in items}
            if user_message:
                messages[user_message["id"]]["childrenIds"] = [assistant_id]
            chat_json = {
                "id": "",
                "title": "New Chat",
                "models": [model_id],
                "history": {"currentId": assistant_id, "messages": messages},
                "messages": list(messages.values()),
                "files": [],
                "tags": [],
                "timestamp": int(time.time() * 1000),
            }
            folder_id = _folder(body)
            if folder_id is not None:
                await service.own_folder(user, folder_id)
            chat = await service.insert(user.id, chat_json, folder_id=folder_id)
            service.created(user, chat)
            created = True
        await session.flush()
        recorder = cls(container, chat.id, placeholder, created)
        recorder.folder_id = chat.folder_id
        recorder.user = user
        return recorder

    # ------------------------------------------------------------ after the model

    async def respond(
        self, result: dict[str, Any] | JsonBody | ChatStream, selected: str | None
    ) -> Response:
        headers = {"X-Chat-Id": self.chat_id}
        if isinstance(result, ChatStream):
            if self.sources:
                result.prefix.append(sse_data({"sources": self.sources}))
            if selected is not None:
                result.prefix.append(sse_data({"selected_model_id": selected}))
            relay = _Relay(self, result)
            return StreamingResponse(
                relay, media_type=SSE_MEDIA_TYPE, headers={**STREAM_HEADERS, **headers}
            )
        body = result.parsed() if isinstance(result, JsonBody) else dict(result)
        self.answer.take_completion(body)
        await self.save(done=True)
        if self.sources:
            body["sources"] = self.sources
        if selected is not None:
            body["selected_model_id"] = selected
        if self.created:
            body["chat_id"] = self.chat_id
        return JSONResponse(body, headers=headers)

    async def fail(self, message: str) -> None:
        """The model call failed before any answer: the placeholder says so."""
        self.answer.error = message
        await self.save(done=True)

    def due(self) -> bool:
        return time.monotonic() - self._saved_at >= SAVE_EVERY

    async def save(self, done: bool, backoff: tuple[float, ...] | None = None) -> None:
        """Write the answer into the stored message (its other fields are kept) in a short
        session of its own, tried again while the database is busy; a message or chat
        deleted meanwhile is not brought back."""
        if self.gone:
            return
        self._saved_at = time.monotonic()
        what = f"saving the answer in chat {self.chat_id}"
        await retry_busy(lambda: self._write(done), what, backoff)

    async def _write(self, done: bool) -> None:
        async with self.container.sessionmaker() as session:
            chat = await repo.get(session, self.chat_id, lock=True)
            row = await repo.message(session, self.chat_id, self.message["id"]) if chat else None
            if chat is None or row is None:
                self.gone = True
                return
            answer = self.answer
            message = {**row.data, "content": answer.content, "done": done}
            outlet = self.outlet
            if done and outlet is not None and outlet.result not in (None, outlet.original):
                message["content"], message["originalContent"] = outlet.result, outlet.original
            if done and answer.content:
                message["output"] = _output(self.message["id"], answer.content)
            if answer.reasoning:
                message["reasoning_content"] = answer.reasoning
            if answer.usage is not None:
                message["usage"] = answer.usage
            if answer.error is not None:
                message["error"] = {"content": answer.error}
            if self.sources:
                message["sources"] = self.sources
            stamp = now()
            await repo.upsert_messages(session, self.chat_id, [(row.id, message)], stamp)
            chat.updated_at = stamp
            if done:
                self._finished(session, chat, message)
            await session.commit()

    def _finished(self, session: AsyncSession, chat: Chat, message: dict[str, Any]) -> None:
        """`chat.finished` (or `chat.failed`) for the event webhooks, with Open WebUI's data."""
        url = str(self.container.config.get("webui.url") or "").rstrip("/")
        self.container.events.publish(
            session,
            "chat.failed" if self.answer.error is not None else "chat.finished",
            actor=self.user, subject_id=self.chat_id, subject_type="chat",
            message=chat.title or "Chat finished",
            data={
                "user_id": chat.user_id, "chat_id": self.chat_id, "message_id": message["id"],
                "model_id": message.get("model"), "title": chat.title,
                "url": f"{url}/c/{self.chat_id}", "message": message.get("content") or "",
            },
        )  # fmt: skip


class _Relay:
    """The client's view of a recorded stream; the recording goes on if the client leaves."""

    def __init__(self, recorder: ChatRecorder, stream: ChatStream) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.listening = True
        self.task = asyncio.create_task(self._pump(recorder, stream))
        _running.add(self.task)
        self.task.add_done_callback(_running.discard)

    async def _pump(self, recorder: ChatRecorder, stream: ChatStream) -> None:
        finished = False  # the model's last frame came
        saved = False  # and the finished answer is in the database
        try:
            async for frame, last in _observed(recorder, stream):
                if last and not finished:
                    finished = True
                    saved = await _saved(recorder, done=True)  # before the client hears the end
                    if not saved:
                        self._send(_error_frame(NOT_SAVED))
                self._send(frame)
                if not finished and recorder.due():
                    await _saved(recorder, done=False)  # a missed checkpoint waits for the next
        except Exception as exc:
            log.exception("recording the answer into chat %s failed", recorder.chat_id)
            answer = recorder.answer
            answer.error = answer.error or f"The answer could not be recorded: {exc}"
            self._send(_error_frame(answer.error))
        finally:
            await stream.aclose()
            if not finished:  # never leave the message marked as being answered
                saved = await _saved(recorder, done=True)
            self.queue.put_nowait(None)
            if not saved:  # the database stayed busy: keep trying after the client's end
                await _saved(recorder, done=True, backoff=SAVE_LATER)

    def _send(self, frame: bytes) -> None:
        if self.listening:
            self.queue.put_nowait(frame)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while (frame := await self.queue.get()) is not None:
                yield frame
        finally:
            self.listening = False  # the client left (or the stream ended): stop queueing


async def _saved(
    recorder: ChatRecorder, done: bool, backoff: tuple[float, ...] | None = None
) -> bool:
    """Save; False (logged) when even the retries could not."""
    try:
        await recorder.save(done=done, backoff=backoff)
    except Exception:
        log.exception("saving the answer in chat %s failed", recorder.chat_id)
        return False
    return True


def _error_frame(message: str) -> bytes:
    return sse_data({"error": {"message": message, "type": "server_error"}})


async def _observed(
    recorder: ChatRecorder, stream: ChatStream
) -> AsyncIterator[tuple[bytes, bool]]:
    """The stream's frames as they are, each read by the recorder, with whether it ends
    the stream."""
    async for frame in stream:
        yield frame, recorder.answer.take_frame(frame)


async def _merged(
    session: AsyncSession, chat_id: str, items: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    """Messages already in the chat keep what the client wrote into them: the user message
    sent now wins over the stored one; a stored assistant message keeps its fields and is
    only marked as being answered."""
    merged = []
    for index, (message_id, message) in enumerate(items):
        row = await repo.message(session, chat_id, message_id)
        if row is not None:
            if index == len(items) - 1:  # the assistant message
                message = {**message, **row.data, "done": False}
            else:
                message = {**row.data, **message}
        merged.append((message_id, message))
    return merged


def _user_message(body: dict[str, Any], model_id: str) -> dict[str, Any] | None:
    """The user message to store: the client's `user_message`, or the last user turn."""
    given = body.get("user_message") or body.get("parent_message")
    if isinstance(given, dict) and isinstance(given.get("id"), str) and given["id"]:
        return docs.without_children(given)
    if not ("parent_id" in body and body["parent_id"] is None and not body.get("chat_id")):
        return None
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return {
                "id": new_id(),
                "parentId": None,
                "role": "user",
                "content": message.get("content", ""),
                "timestamp": now(),
                "models": [model_id],
            }
    return None


def _output(message_id: str, text: str) -> list[dict[str, Any]]:
    """The answer as an OpenResponses-style `output` list, which Open WebUI stores beside
    `content` on a finished assistant message."""
    return [
        {
            "type": "message",
            "id": f"msg_{message_id}",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text}],
        }
    ]


def _folder(body: dict[str, Any]) -> str | None:
    folder = body.get("folder_id")
    return folder if isinstance(folder, str) and folder else None
