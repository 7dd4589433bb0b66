"""Figures about a chat computed from its message tree: context usage and usage statistics.

Pure functions. Token counts are estimates (four characters a token), as Open WebUI reports
them with `source: "estimated"`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import mean
from typing import Any

from owlet.chats.document import path_to, text_of

Tree = Mapping[str, Mapping[str, Any]]


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


def context_usage(tree: Tree, current_id: str | None, threshold: int) -> dict[str, Any]:
    """How much of the compaction threshold the current branch would fill."""
    tokens = sum([estimate_tokens(text_of(m)) for m in path_to(tree, current_id)])
    return {
        "tokens": tokens,
        "estimated_tokens": tokens,
        "threshold": threshold,
        "percent": round(100 * tokens / threshold, 2) if threshold else 0.0,
        "source": "estimated",
    }


def _timestamp(message: Mapping[str, Any]) -> float | None:
    value = message.get("timestamp")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def usage_stats(
    chat: Mapping[str, Any], tree: Tree, current_id: str | None, tags: list[str]
) -> dict[str, Any]:
    """One item of `/api/v1/chats/stats/usage` (`chat` holds the row's id, models, times)."""
    branch = path_to(tree, current_id)
    every = list(tree.values())
    users = [m for m in every if m.get("role") == "user"]
    assistants = [m for m in every if m.get("role") == "assistant"]
    waits = []
    for answer in assistants:
        asked = tree.get(str(answer.get("parentId")))
        start, end = (_timestamp(asked) if asked else None), _timestamp(answer)
        if start is not None and end is not None and end >= start:
            waits.append(end - start)
    stamps = [t for t in (_timestamp(m) for m in every) if t is not None]
    return {
        "id": chat["id"],
        "models": sorted({str(m["model"]) for m in branch if m.get("model")}),
        "message_count": len(branch),
        "history_models": _model_counts(assistants),
        "history_message_count": len(every),
        "history_user_message_count": len(users),
        "history_assistant_message_count": len(assistants),
        "average_response_time": round(mean(waits), 3) if waits else 0,
        "average_user_message_content_length": _mean_length(users),
        "average_assistant_message_content_length": _mean_length(assistants),
        "tags": tags,
        "last_message_at": int(max(stamps)) if stamps else 0,
        "updated_at": chat["updated_at"],
        "created_at": chat["created_at"],
    }


def _model_counts(messages: list[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in messages:
        if message.get("model"):
            counts[str(message["model"])] = counts.get(str(message["model"]), 0) + 1
    return counts


def _mean_length(messages: list[Mapping[str, Any]]) -> float:
    return round(mean(len(text_of(m)) for m in messages), 2) if messages else 0


def stats_export(
    chat: Mapping[str, Any], tree: Tree, current_id: str | None, tags: list[str]
) -> dict[str, Any]:
    """ChatStatsExport: figures per message, never the messages' text."""
    messages = {}
    for message_id, message in tree.items():
        annotation = message.get("annotation")
        rating = annotation.get("rating") if isinstance(annotation, dict) else None
        text = text_of(message)
        messages[message_id] = {
            "id": message_id,
            "role": message.get("role"),
            "model": message.get("model"),
            "content_length": len(text),
            "token_count": estimate_tokens(text),
            "timestamp": message.get("timestamp"),
            "rating": rating,
            "tags": annotation.get("tags", []) if isinstance(annotation, dict) else [],
        }
    stats = usage_stats(chat, tree, current_id, tags)
    return {
        "id": chat["id"],
        "user_id": chat["user_id"],
        "created_at": chat["created_at"],
        "updated_at": chat["updated_at"],
        "tags": tags,
        "stats": {k: v for k, v in stats.items() if k not in ("id", "tags")},
        "chat": {"history": {"messages": messages, "currentId": current_id}},
    }
