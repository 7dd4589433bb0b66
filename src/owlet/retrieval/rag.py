"""RAG: collection access, and a chat request's `files` turned into cited context (§6.4).

Files and knowledge bases the caller cannot read are refused with 404, never silently used.
Retrieved chunks are rendered as numbered `<source>` blocks into the RAG template, which is
put in front of the last user message; the sources go back to the client (`sources`).
"""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.errors import Forbidden, Messages, NotFound
from owlet.knowledge.service import KnowledgeService
from owlet.retrieval.index import file_collection
from owlet.retrieval.store import Hit
from owlet.retrieval.web import web_collection
from owlet.tables import File, Knowledge, KnowledgeFile, User

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_PLACEHOLDER = re.compile(r"\{\{CONTEXT\}\}|\[context\]|\{\{QUERY\}\}|\[query\]")
DEFAULT_TEMPLATE = """### Task
Answer the user's query using the context below. When you use a part of the context that
comes from a <source> with an id attribute, cite it inline as [id]. If the context does not
hold the answer, say so plainly and answer from what you know. Answer in the language of the
user's query, and do not reproduce the XML tags.

<context>
{{CONTEXT}}
</context>

<user_query>
{{QUERY}}
</user_query>"""


async def file_readable(
    session: AsyncSession, container: Container, user: User, file_id: str
) -> File | None:
    """The file when the caller owns it, is an admin, or can read a knowledge base holding it."""
    row = await session.get(File, file_id)
    if row is None:
        return None
    if row.user_id == user.id or user.role == "admin":
        return row
    service = KnowledgeService(session, container, container.config)
    readable = await service.readable_ids(user)
    stmt = select(KnowledgeFile.knowledge_id).where(
        KnowledgeFile.file_id == file_id, KnowledgeFile.knowledge_id.in_(readable)
    )
    return row if await session.scalar(stmt.limit(1)) is not None else None


async def check_collection(
    session: AsyncSession, container: Container, user: User, name: str, write: bool = False
) -> None:
    """The collection-name rules of reference §6.4; 403 when the caller may not use it."""
    if not _SAFE.match(name) or name == "knowledge-bases":
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    if user.role == "admin":
        return
    if name.startswith("file-"):
        file_id = name.removeprefix("file-")
        if write:  # only the owner changes what a file's own collection holds
            row = await session.get(File, file_id)
            if row is not None and row.user_id == user.id:
                return
        elif await file_readable(session, container, user, file_id) is not None:
            return
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    kb = await session.get(Knowledge, name)
    if kb is not None:
        service = KnowledgeService(session, container, container.config)
        if await service.can(user, kb, "write" if write else "read"):
            return
    raise Forbidden(Messages.ACCESS_PROHIBITED)


async def resolve_items(
    session: AsyncSession, container: Container, user: User, files: Any
) -> list[tuple[dict[str, Any], str | None]]:
    """(item, collection to search) for each `file` / `collection` / `text` item; 404 for
    one the caller can't read. A `text` item whose text comes with it (a web page the client
    attached, `context: "full"`) has no collection: its text is the source. Other item types
    are left for later features."""
    resolved: list[tuple[dict[str, Any], str | None]] = []
    seen: set[str] = set()
    for item in files if isinstance(files, list) else []:
        if not isinstance(item, dict):
            continue
        kind, item_id = item.get("type"), item.get("id")
        collection: str | None
        if kind == "text":
            collection = await _text_collection(session, container, user, item)
            if collection is None:
                if _inline_text(item) is not None:
                    resolved.append((item, None))
                continue
        elif not isinstance(item_id, str):
            continue
        elif kind == "file":
            row = await file_readable(session, container, user, item_id)
            if row is None:
                raise NotFound(Messages.NOT_FOUND)
            collection = file_collection(row.id)
        elif kind == "collection":
            service = KnowledgeService(session, container, container.config)
            collection = (await service.readable(user, item_id)).id
        else:
            continue
        if collection not in seen:
            seen.add(collection)
            resolved.append((item, collection))
    return resolved


def _inline_text(item: dict[str, Any]) -> str | None:
    """The text a `text` item carries (`file.data.content`, else `content`), if any."""
    file = item.get("file")
    data = file.get("data") if isinstance(file, dict) else None
    content = data.get("content") if isinstance(data, dict) else None
    if not isinstance(content, str):
        content = item.get("content")
    return content if isinstance(content, str) and content.strip() else None


async def _text_collection(
    session: AsyncSession, container: Container, user: User, item: dict[str, Any]
) -> str | None:
    """The collection a `text` item is searched in: none when it asks for its whole text
    (`context: "full"`) and carries it, or names no collection. A page's own collection
    (`process/web` without a name: sha256 of the URL) is readable by whoever names that URL,
    since its chunks are that public page; any other name follows `check_collection`."""
    name = item.get("collection_name")
    if not isinstance(name, str) or not name:
        return None
    if item.get("context") == "full" and _inline_text(item) is not None:
        return None
    url = item.get("url")
    if isinstance(url, str) and name == web_collection(url.strip()):
        return name
    try:
        await check_collection(session, container, user, name)
    except Forbidden:
        raise NotFound(Messages.NOT_FOUND) from None
    return name


def last_user_text(messages: Any) -> str:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return ""


async def retrieve(
    container: Container,
    config: ConfigStore,
    items: list[tuple[dict[str, Any], str | None]],
    query: str,
) -> list[dict[str, Any]]:
    """One source per item: its top chunks (`rag.top_k`), or the whole text it carries."""
    sources = []
    k = int(config.get("rag.top_k"))
    for item, collection in items:
        if collection is None:
            sources.append(_whole_text_source(item))
            continue
        hits: list[Hit] = await container.retrieval.search(config, [collection], query, k)
        if not hits:
            continue
        sources.append(
            {
                "source": _cited(item),
                "document": [h.text for h in hits],
                "metadata": [h.metadata for h in hits],
                "distances": [h.score for h in hits],
            }
        )
    return sources


def _cited(item: dict[str, Any]) -> dict[str, Any]:
    """The item as a source names it: without the text it carried (`data`, `file.data`)."""
    cited = {k: v for k, v in item.items() if k != "data"}
    file = cited.get("file")
    if isinstance(file, dict) and "data" in file:
        cited["file"] = {k: v for k, v in file.items() if k != "data"}
    return cited


def _whole_text_source(item: dict[str, Any]) -> dict[str, Any]:
    file = item.get("file")
    meta = file.get("meta") if isinstance(file, dict) else None
    if not isinstance(meta, dict):
        meta = {"name": item.get("name"), "source": item.get("url") or item.get("name")}
    return {"source": _cited(item), "document": [_inline_text(item)], "metadata": [meta]}


def render_context(sources: list[dict[str, Any]]) -> str:
    """Every chunk as `<source id="N" name="…">…</source>`, N numbering distinct sources."""
    numbers: dict[str, int] = {}
    blocks = []
    for source in sources:
        for text, meta in zip(source["document"], source["metadata"], strict=False):
            key = str(meta.get("source") or source["source"].get("id"))
            number = numbers.setdefault(key, len(numbers) + 1)
            name = html.escape(str(meta.get("name") or key))
            # Escaped, so a document cannot close its block or forge another source.
            blocks.append(
                f'<source id="{number}" name="{name}">{html.escape(text, quote=False)}</source>'
            )
    return "\n".join(blocks)


def apply_template(config: ConfigStore, messages: list[Any], context: str, query: str) -> list[Any]:
    template = str(config.get("rag.template") or "") or DEFAULT_TEMPLATE
    values = {"{{CONTEXT}}": context, "[context]": context, "{{QUERY}}": query, "[query]": query}
    # One pass: text put in for one placeholder is never expanded by another.
    prompt = _PLACEHOLDER.sub(lambda m: values[m.group(0)], template)
    messages = list(messages)
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            new: Any = (
                [{"type": "text", "text": prompt}, *content]
                if isinstance(content, list)
                else f"{prompt}\n{content or ''}"
            )
            messages[index] = {**message, "content": new}
            return messages
    return [*messages, {"role": "user", "content": prompt}]
