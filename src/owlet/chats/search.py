"""The search syntax of `/api/v1/chats/search`: free words plus `key:value` filters."""

from __future__ import annotations

from dataclasses import dataclass, field

FILTERS = ("tag", "folder", "pinned", "archived", "shared")


@dataclass
class Query:
    words: str = ""  # the rest of the text, matched as one phrase in titles and messages
    tags: list[str] = field(default_factory=list)  # tag ids; "none" means untagged
    folders: list[str] = field(default_factory=list)  # folder names
    pinned: bool | None = None
    archived: bool | None = None
    shared: bool | None = None


def tag_id(name: str) -> str:
    """A tag's id: its name lower-cased, spaces as `_` (Open WebUI's rule)."""
    return "_".join(name.strip().lower().split())


def _flag(value: str) -> bool | None:
    lowered = value.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    return None


def parse(text: str) -> Query:
    query = Query()
    words = []
    for token in text.split():
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in FILTERS or not value:
            words.append(token)
        elif key == "tag":
            query.tags.append(tag_id(value))
        elif key == "folder":
            query.folders.append(value)
        else:
            setattr(query, key, _flag(value))
    query.words = " ".join(words)
    return query
