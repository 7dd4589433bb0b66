"""The search syntax of `/api/v1/chats/search`: free words plus `key:value` filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, select

from owlet.chats import repository as repo
from owlet.core.paging import Page
from owlet.tables import Chat, Folder, User

if TYPE_CHECKING:
    from owlet.chats.service import ChatService

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


async def search(service: ChatService, user: User, text: str, window: Page) -> list[dict[str, Any]]:
    """Chats matching the search text (free words as one phrase, plus the filters)."""
    query = parse(text)
    archived = query.archived if query.archived is not None else False
    where = and_(Chat.user_id == user.id, Chat.archived.is_(archived))
    if query.pinned is not None:
        where = and_(where, Chat.pinned.is_(query.pinned))
    if query.shared is not None:
        shared = Chat.share_id.is_not(None) if query.shared else Chat.share_id.is_(None)
        where = and_(where, shared)
    for tag in query.tags:
        where = and_(where, repo.untagged() if tag == "none" else repo.tagged(user.id, tag))
    if query.folders:
        names = [name.lower() for name in query.folders]
        folders = select(Folder.id).where(Folder.user_id == user.id)
        where = and_(where, Chat.folder_id.in_(folders.where(_lower_name_in(names))))
    if query.words:
        where = and_(where, repo.content_matches(query.words))
    found = await service.titles(where, window)
    only_tag = len(query.tags) == 1 and not query.words and query.tags[0] != "none"
    if not found and only_tag and window.offset == 0 and query.archived is None:
        await repo.drop_unused_tags(service.session, user.id, query.tags)
    return found


def _lower_name_in(names: list[str]) -> ColumnElement[bool]:
    return func.lower(Folder.name).in_(names)
