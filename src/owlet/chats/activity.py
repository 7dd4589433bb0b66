"""Read state, message events, statistics and context compaction of chats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select

from owlet.chats import document as docs
from owlet.chats import repository as repo
from owlet.chats.insights import context_usage, estimate_tokens, stats_export, usage_stats
from owlet.chats.service import ChatService
from owlet.config import stored
from owlet.core.clock import now
from owlet.core.paging import Page
from owlet.deps import end_transaction
from owlet.errors import BadRequest, Conflict, Forbidden, Messages, NotFound
from owlet.models.registry import ModelNotFound, ModelRegistry
from owlet.providers.answer import ChatStream, JsonBody, ModelUnavailable
from owlet.tables import Chat, User

NO_COMPACTION_MODEL = "No model found for context compaction."
STILL_ANSWERING = "Wait for the current response to finish before compacting."
DEFAULT_COMPACTION_PROMPT = (
    "You condense conversations. Write a compact summary of the conversation you are given: "
    "the facts, decisions, open questions and the user's goals, so that the conversation can "
    "go on from the summary alone. Answer with the summary only."
)


# ---------------------------------------------------------------- read state


async def mark_all_read(service: ChatService, user: User) -> dict[str, Any]:
    updated = await repo.set_flag(service.session, Chat.user_id == user.id, last_read_at=now())
    return {
        "updated_count": updated,
        "folder_unread_counts": await repo.unread_by_folder(service.session, user.id),
    }


async def mark_read(service: ChatService, user: User, chat_id: str) -> dict[str, Any]:
    """The chat read now (the web client says so over its socket: `events:chat`)."""
    chat = await service.owned(user, chat_id, lock=True)
    chat.last_read_at = now()
    await service.session.flush()
    return {
        "chat_id": chat.id,
        "last_read_at": chat.last_read_at,
        "folder_id": chat.folder_id,
        "folder_unread_counts": await repo.unread_by_folder(service.session, user.id),
    }


async def mark_unread(service: ChatService, user: User, chat_id: str) -> dict[str, Any]:
    chat = await service.owned(user, chat_id, lock=True)
    chat.last_read_at = None
    await service.session.flush()
    return {
        "chat_id": chat.id,
        "last_read_at": None,
        "folder_id": chat.folder_id,
        "folder_unread_counts": await repo.unread_by_folder(service.session, user.id),
    }


# ---------------------------------------------------------------- message events


async def record_event(
    service: ChatService, user: User, chat_id: str, message_id: str, kind: str, data: dict[str, Any]
) -> bool:
    """Persist what a message event changes (reference §8.3); False for kinds that change
    nothing stored (there is no socket to relay them to yet)."""
    chat = await service.owned_or_admin(user, chat_id, lock=True)
    row = await repo.message(service.session, chat.id, message_id)
    if row is None:
        raise NotFound(Messages.NOT_FOUND)
    message = dict(row.data)
    if kind == "status":
        message["statusHistory"] = [*_list(message.get("statusHistory")), data]
    elif kind in ("message", "chat:message:delta"):
        message["content"] = str(message.get("content") or "") + str(data.get("content", ""))
    elif kind in ("replace", "chat:message"):
        message["content"] = str(data.get("content", ""))
    elif kind in ("embeds", "chat:message:embeds"):
        embeds = _list(data.get("embeds"))
        message["embeds"] = (
            embeds if data.get("replace") else [*_list(message.get("embeds")), *embeds]
        )
    elif kind in ("files", "chat:message:files"):
        message["files"] = _list(data.get("files"))
    elif kind in ("source", "citation"):
        key = "code_executions" if data.get("type") == "code_execution" else "sources"
        message[key] = [*_list(message.get(key)), data]
    else:
        return False
    await repo.upsert_messages(service.session, chat.id, [(message_id, message)], now())
    chat.updated_at = now()
    return True


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


# ---------------------------------------------------------------- statistics


async def _tree_of(service: ChatService, chat: Chat) -> dict[str, Any]:
    return docs.tree(await repo.message_rows(service.session, chat.id))


def _row(chat: Chat) -> dict[str, Any]:
    return {"id": chat.id, "user_id": chat.user_id, "created_at": chat.created_at,
            "updated_at": chat.updated_at}  # fmt: skip


async def usage(service: ChatService, user: User, window: Page) -> dict[str, Any]:
    total = await service.session.scalar(select(func.count()).where(Chat.user_id == user.id))
    stmt = select(Chat).where(Chat.user_id == user.id).order_by(Chat.updated_at.desc(), Chat.id)
    stmt = stmt.offset(window.offset).limit(window.limit)
    items = []
    for chat in (await service.session.scalars(stmt)).all():
        tree = await _tree_of(service, chat)
        tags = await repo.tag_ids(service.session, chat.id)
        items.append(usage_stats(_row(chat), tree, docs.current_id(chat.doc), tags))
    return {"items": items, "total": int(total or 0)}


async def require_stats_export(service: ChatService, user: User) -> None:
    if user.role != "admin" and not service.config.get("ui.enable_community_sharing"):
        raise Forbidden(Messages.ACCESS_PROHIBITED)


async def export_stats(
    service: ChatService, user: User, updated_after: int | None, window: Page
) -> tuple[list[dict[str, Any]], int]:
    where = Chat.user_id == user.id
    if updated_after is not None:
        where = where & (Chat.updated_at > updated_after)
    total = await service.session.scalar(select(func.count()).where(where))
    stmt = select(Chat).where(where).order_by(Chat.updated_at.desc(), Chat.id)
    if window.limit is not None:
        stmt = stmt.limit(window.limit)
    items = []
    for chat in (await service.session.scalars(stmt.offset(window.offset))).all():
        items.append(await export_one(service, chat))
    return items, int(total or 0)


async def export_one(service: ChatService, chat: Chat) -> dict[str, Any]:
    tree = await _tree_of(service, chat)
    tags = await repo.tag_ids(service.session, chat.id)
    return stats_export(_row(chat), tree, docs.current_id(chat.doc), tags)


async def ndjson(items: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for item in items:
        yield json.dumps(item).encode() + b"\n"


# ---------------------------------------------------------------- compaction


def compaction_config(config: Any) -> dict[str, Any]:
    return {
        "CONTEXT_COMPACTION_MODEL": config.get("chat.compaction.model") or "",
        "ENABLE_CONTEXT_COMPACTION": bool(config.get("chat.compaction.enable")),
        "CONTEXT_COMPACTION_TOKEN_THRESHOLD": config.get("chat.compaction.token_threshold"),
        # unset: capped at the threshold, as Open WebUI reports it
        "CONTEXT_COMPACTION_TOKEN_CAP": config.get("chat.compaction.token_cap")
        or config.get("chat.compaction.token_threshold"),
        "CONTEXT_COMPACTION_RETENTION_PERCENTAGE": config.get(
            "chat.compaction.retention_percentage"
        ),
        "CONTEXT_COMPACTION_PROMPT_TEMPLATE": config.get("chat.compaction.prompt_template") or "",
        # stored only: owlet has no tool permissions or tool search (config/stored.py)
        **{wire: config.get(key) for wire, key, _, _ in stored.CHATS},
    }


async def usage_of(service: ChatService, chat: Chat) -> dict[str, Any]:
    tree = await _tree_of(service, chat)
    threshold = int(service.config.get("chat.compaction.token_threshold"))
    return context_usage(tree, docs.current_id(chat.doc), threshold)


async def compact(
    service: ChatService, user: User, chat_id: str, model_id: str | None
) -> dict[str, Any]:
    """Summarise the older part of the current branch with a model; keep the recent part.

    The kept tail is the newest messages holding at most the configured retention share of
    the branch's tokens (at least the last message). The summary is stored on the chat
    (`summary`) and on the first kept message (`contextSummary`).
    """
    chat = await service.owned(user, chat_id)
    tree = await _tree_of(service, chat)
    keys = docs.path_ids(tree, docs.current_id(chat.doc))
    branch = [tree[key] for key in keys]
    if branch and branch[-1].get("role") == "assistant" and branch[-1].get("done") is False:
        raise Conflict(STILL_ANSWERING)
    models = chat.doc.get("models") if isinstance(chat.doc.get("models"), list) else []
    name = (
        model_id or service.config.get("chat.compaction.model") or (models[0] if models else None)
    )
    if not isinstance(name, str) or not name:
        raise BadRequest(NO_COMPACTION_MODEL)
    try:
        model = await ModelRegistry(service.session, service.container, service.config).resolve(
            user, name
        )
    except ModelNotFound:
        raise BadRequest(NO_COMPACTION_MODEL) from None
    threshold = int(service.config.get("chat.compaction.token_threshold"))
    sizes = [estimate_tokens(docs.text_of(m)) for m in branch]
    keep_budget = sum(sizes) * int(service.config.get("chat.compaction.retention_percentage")) / 100
    cut, kept_tokens = len(branch) - 1, sizes[-1] if sizes else 0
    while cut > 0 and kept_tokens + sizes[cut - 1] <= keep_budget:
        cut -= 1
        kept_tokens += sizes[cut]
    dropped = branch[:cut]
    if not dropped:
        usage_now = context_usage(tree, docs.current_id(chat.doc), threshold)
        return {"compacted": False, "dropped_messages": 0, "context_usage": usage_now}
    transcript = "\n\n".join(f"{m.get('role', 'user')}: {docs.text_of(m)}" for m in dropped)
    prompt = service.config.get("chat.compaction.prompt_template") or DEFAULT_COMPACTION_PROMPT
    payload = {
        "model": model.entry["id"],
        "messages": [
            {"role": "system", "content": prompt},
            {"role": "user", "content": transcript},
        ],
        "stream": False,
    }
    await end_transaction(service.session)  # no session is held while the model answers
    try:
        result = await service.container.gateway.chat(
            service.config, model.base, payload, caller=user.id
        )
    except ModelUnavailable:
        raise BadRequest(NO_COMPACTION_MODEL) from None
    summary = _answer_text(result)
    chat = await service.owned(user, chat_id, lock=True)
    first_kept = docs.without_children(branch[cut])
    first_kept["contextSummary"] = summary
    await repo.upsert_messages(service.session, chat.id, [(keys[cut], first_kept)], now())
    chat.summary = summary
    chat.updated_at = now()
    await service.session.flush()
    after = estimate_tokens(summary) + kept_tokens
    return {
        "compacted": True,
        "dropped_messages": len(dropped),
        "summary": summary,
        "context_usage": {
            "tokens": after, "estimated_tokens": after, "threshold": threshold,
            "percent": round(100 * after / threshold, 2) if threshold else 0.0,
            "source": "estimated",
        },
    }  # fmt: skip


def _answer_text(result: dict[str, Any] | JsonBody | ChatStream) -> str:
    body = result.parsed() if isinstance(result, JsonBody) else result
    if not isinstance(body, dict):
        return ""
    choices = body.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else {}
    message = first.get("message") if isinstance(first, dict) else None
    return str(message.get("content") or "") if isinstance(message, dict) else ""
