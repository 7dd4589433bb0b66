"""The conversation a web-client request continues, rebuilt from the stored chat.

In UI mode the client sends only the new user message (`user_message`) and, at most, a
system prompt in `messages`; the model must see the thread that message answers: its
ancestors in the chat, walked up through `parentId`, then the message itself (reference
§1.4, "in UI mode the server ignores `messages` ... it rebuilds the history")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.chats import repository as repo
from owlet.errors import Messages, NotFound
from owlet.tables import User

ROLES = ("system", "user", "assistant")


async def ui_messages(session: AsyncSession, user: User, body: dict[str, Any]) -> list[Any] | None:
    """The messages to send for a web-client request; None when the body has no
    `user_message` (then its own `messages` stand)."""
    given = body.get("user_message") or body.get("parent_message")
    if not isinstance(given, dict):
        return None
    system = [m for m in body.get("messages") or []
              if isinstance(m, dict) and m.get("role") == "system"][:1]  # fmt: skip
    earlier: list[dict[str, Any]] = []
    chat_id, parent = body.get("chat_id"), given.get("parentId")
    if isinstance(chat_id, str) and chat_id and isinstance(parent, str) and parent:
        if await repo.owned(session, chat_id, user.id) is None:
            raise NotFound(Messages.NOT_FOUND)
        earlier = await thread(session, chat_id, parent)
    return [*system, *earlier, _turn(given)]


async def thread(session: AsyncSession, chat_id: str, leaf_id: str) -> list[dict[str, Any]]:
    """`leaf_id` and its ancestors, oldest first, as OpenAI messages."""
    rows = {row.id: (row.parent_id, row.data) for row in await repo.message_rows(session, chat_id)}
    path: list[dict[str, Any]] = []
    current: str | None = leaf_id
    while current is not None and current in rows and len(path) < len(rows):
        parent, data = rows[current]
        path.append(data)
        current = parent
    path.reverse()
    return [_turn(m) for m in path if m.get("role") in ROLES and _said(m)]


def _said(message: dict[str, Any]) -> bool:
    """Not an empty placeholder of an answer that never came."""
    return message.get("role") != "assistant" or bool(message.get("content"))


def _turn(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    return {"role": message.get("role") or "user",
            "content": content if isinstance(content, str | list) else ""}  # fmt: skip
