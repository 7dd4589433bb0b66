"""The chat JSON (reference §4.1) taken apart for storage and put back together on read.

Pure functions: no database here. A chat is stored as a document (the client's JSON without
`history.messages`) plus one row per message. `childrenIds` are not stored; they are rebuilt
from each message's `parentId` in insertion order, which is what Open WebUI's update does and
what a client that builds the tree itself sends anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Json = dict[str, Any]

# How the linear `messages` list of a chat JSON is kept.
PATH = "path"  # the path root → history.currentId: rebuilt on read
STORED = "stored"  # anything else: kept in the document as sent
ABSENT = "absent"  # the client sent none


class MessageRow(Protocol):
    id: str
    parent_id: str | None
    data: Json


@dataclass
class Incoming:
    """A (partial) chat JSON split into its document part and its messages."""

    doc: Json  # without history.messages; `messages` still in it when the client sent one
    messages: list[tuple[str, Json]]  # (id, message without childrenIds), in the client's order
    has_history_messages: bool


MAX_ID_LENGTH = 256


class ShapeError(ValueError):
    """The chat JSON cannot be stored as sent (the client gets a 400 naming the problem)."""


def split(chat: Mapping[str, Any]) -> Incoming:
    doc = dict(chat)
    messages: list[tuple[str, Json]] = []
    history = doc.get("history")
    if history is not None and not isinstance(history, dict):
        raise ShapeError("`history` must be an object")
    raw = history.get("messages") if isinstance(history, dict) else None
    if raw is not None and not isinstance(raw, dict):
        raise ShapeError("`history.messages` must be an object keyed by message id")
    if isinstance(history, dict) and isinstance(raw, dict):
        for key, message in raw.items():
            if not isinstance(message, dict):
                raise ShapeError(f"message {key!r} must be an object")
            if not key or len(key) > MAX_ID_LENGTH:
                raise ShapeError(f"message ids must be 1 to {MAX_ID_LENGTH} characters")
            if parent_of(message) == key:
                raise ShapeError(f"message {key!r} cannot be its own parent")
            messages.append((key, without_children(message)))
        doc["history"] = {k: v for k, v in history.items() if k != "messages"}
    return Incoming(doc, messages, isinstance(raw, dict))


def with_authors(chat: Mapping[str, Any], user_id: str, name: str) -> Json:
    """The chat JSON with each message saying who wrote it, as Open WebUI stores them:
    `user_id` on every message, and `user` ({id, name}) on the user's own turns. Values a
    client already set are kept (an import keeps its authors)."""

    def stamped(message: Any) -> Any:
        if not isinstance(message, dict):
            return message
        out = {**message}
        out.setdefault("user_id", user_id)
        if out.get("role") == "user":
            out.setdefault("user", {"id": user_id, "name": name})
        return out

    out = dict(chat)
    history = out.get("history")
    if isinstance(history, dict) and isinstance(history.get("messages"), dict):
        messages = {k: stamped(m) for k, m in history["messages"].items()}
        out["history"] = {**history, "messages": messages}
    if isinstance(out.get("messages"), list):
        out["messages"] = [stamped(m) for m in out["messages"]]
    return out


def without_children(message: Mapping[str, Any]) -> Json:
    return {k: v for k, v in message.items() if k != "childrenIds"}


def parent_of(message: Mapping[str, Any]) -> str | None:
    parent = message.get("parentId")
    return parent if isinstance(parent, str) and parent else None


def text_of(message: Mapping[str, Any]) -> str:
    """The message's plain text: `content`, or its text parts, or its `output` text."""
    content = message.get("content")
    if isinstance(content, str) and content:
        return content
    if isinstance(content, list):
        parts = [str(p.get("text") or "") for p in content if isinstance(p, dict)]
        return "\n".join(p for p in parts if p)
    return output_text(message.get("output"))


def output_text(output: Any) -> str:
    """The text of an OpenResponses-style `output` list (its `message` items)."""
    if not isinstance(output, list):
        return ""
    texts = []
    for item in output:
        parts = item.get("content") if isinstance(item, dict) else None
        if isinstance(item, dict) and item.get("type") == "message" and isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    texts.append(str(part.get("text", "")))
    return "".join(texts)


def tree(rows: Iterable[MessageRow]) -> dict[str, Json]:
    """`history.messages`: each row's message with `childrenIds` rebuilt, in row order."""
    rows = list(rows)
    children: dict[str, list[str]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row.id)
    return {row.id: {**row.data, "childrenIds": children.get(row.id, [])} for row in rows}


def path_ids(messages: Mapping[str, Mapping[str, Any]], current_id: Any) -> list[str]:
    """The ids (keys) from the root down to `current_id` (empty when it is unknown)."""
    ids: list[str] = []
    seen: set[str] = set()
    key = current_id if isinstance(current_id, str) and current_id in messages else None
    while key is not None and key not in seen:  # a cycle of parentIds stops the walk
        seen.add(key)
        ids.append(key)
        parent = parent_of(messages[key])
        key = parent if parent in messages else None
    ids.reverse()
    return ids


def path_to(messages: Mapping[str, Mapping[str, Any]], current_id: Any) -> list[Json]:
    """The messages from the root down to `current_id` (empty when it is unknown)."""
    return [dict(messages[key]) for key in path_ids(messages, current_id)]


def linear_mode(doc: Mapping[str, Any], messages: Mapping[str, Json]) -> str:
    """How to keep the document's `messages` list: rebuilt from the tree when it is the path."""
    if "messages" not in doc:
        return ABSENT
    history = doc.get("history")
    current = history.get("currentId") if isinstance(history, dict) else None
    if messages and doc["messages"] == path_to(messages, current):
        return PATH
    return STORED


def assemble(doc: Mapping[str, Any], linear: str, rows: Iterable[MessageRow]) -> Json:
    """The chat JSON as the client sent it: document, message tree, and the linear list."""
    chat = dict(doc)
    messages = tree(rows)
    stored = chat.get("history")
    if isinstance(stored, dict) or messages:
        history = dict(stored) if isinstance(stored, dict) else {}
        history["messages"] = messages
        chat["history"] = history
    if linear == PATH:
        chat["messages"] = path_to(messages, current_id(chat))
    return chat


def for_storage(doc: Mapping[str, Any], linear: str) -> Json:
    """The document as stored: without the linear list when it is rebuilt on read."""
    return {k: v for k, v in doc.items() if not (k == "messages" and linear == PATH)}


def current_id(doc: Mapping[str, Any]) -> str | None:
    history = doc.get("history")
    value = history.get("currentId") if isinstance(history, dict) else None
    return value if isinstance(value, str) and value else None


def with_current_id(doc: Mapping[str, Any], message_id: str | None) -> Json:
    stored = doc.get("history")
    history = dict(stored) if isinstance(stored, dict) else {}
    history["currentId"] = message_id
    return {**doc, "history": history}


def meta_with_tags(meta: Mapping[str, Any] | None, tag_ids: list[str]) -> dict[str, Any]:
    """`meta` with `tags` from the tag rows; a chat that never had a tag has no `tags` key,
    one whose tags were all removed has `[]` (the `tags` key in the stored meta marks it)."""
    out = dict(meta or {})
    if tag_ids or "tags" in out:
        out["tags"] = tag_ids
    return out
