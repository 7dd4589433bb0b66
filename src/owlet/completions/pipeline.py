"""The chat-completion pipeline: resolve the model, shape the payload, run stages, dispatch.

Stages are plain callables so later features (filter functions, RAG) plug in without
touching the dispatch: an inlet stage gets and returns the payload before the upstream call,
a chunk stage sees each streamed chunk (returning None drops it), an outlet stage gets and
returns the final body of `/api/chat/completed`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from owlet.tables import User

if TYPE_CHECKING:
    from owlet.models.registry import ResolvedModel

Payload = dict[str, Any]
InletStage = Callable[[Payload, User, "ResolvedModel"], Awaitable[Payload]]
ChunkStage = Callable[[dict[str, Any]], dict[str, Any] | None]
OutletStage = Callable[[Payload, User], Awaitable[Payload]]


@dataclass
class Stages:
    inlet: list[InletStage] = field(default_factory=list)
    chunk: list[ChunkStage] = field(default_factory=list)
    outlet: list[OutletStage] = field(default_factory=list)


# Open WebUI request fields that steer the server and never go upstream.
SERVER_FIELDS = frozenset(
    {
        "params", "files", "tool_ids", "tool_servers", "skill_ids", "terminal_id", "filter_ids",
        "features", "variables", "chat_variables", "model_item", "session_id", "chat_id",
        "parent_id", "id", "message_ids", "user_message", "parent_message",
        "assistant_message_id", "regeneration_prompt", "folder_id", "background_tasks",
        "metadata", "background",
    }
)  # fmt: skip
# Params that are Open WebUI settings, not sampling options.
SERVER_PARAMS = frozenset(
    {
        "system", "stream_response", "stream_delta_chunk_size", "function_calling",
        "reasoning_tags", "compact_token_threshold", "note_id", "custom_params",
    }
)  # fmt: skip
_VARIABLE = re.compile(r"\{\{\s*([A-Z_]+)\s*\}\}")


def template_variables(user: User, extra: dict[str, Any] | None) -> dict[str, str]:
    now = dt.datetime.now().astimezone()
    values = {
        "USER_NAME": user.name,
        "USER_EMAIL": user.email,
        "USER_BIO": user.bio or "",
        "USER_LOCATION": "",
        "USER_LANGUAGE": "",
        "CURRENT_DATE": now.strftime("%Y-%m-%d"),
        "CURRENT_TIME": now.strftime("%H:%M:%S"),
        "CURRENT_DATETIME": now.strftime("%Y-%m-%d %H:%M:%S"),
        "CURRENT_WEEKDAY": now.strftime("%A"),
        "CURRENT_TIMEZONE": str(now.tzinfo or ""),
    }
    for key, value in (extra or {}).items():
        values[str(key).strip("{} ")] = str(value)
    return values


def substitute(text: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _merged_params(
    model: ResolvedModel, request_params: Any, defaults: dict[str, Any] | None
) -> dict[str, Any]:
    """Config defaults, then stored params (base record first so the requested record wins),
    then request params; null values never override."""
    params: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if v is not None}
    for record in reversed(model.chain):
        params.update({k: v for k, v in (record.params or {}).items() if v is not None})
    if isinstance(request_params, dict):
        params.update({k: v for k, v in request_params.items() if v is not None})
    return params


def with_system(messages: list[Any], system: str) -> list[Any]:
    messages = list(messages)
    if messages and isinstance(messages[0], dict) and messages[0].get("role") == "system":
        first = dict(messages[0])
        content = first.get("content")
        first["content"] = (
            f"{system}\n{content}" if isinstance(content, str) and content else system
        )
        messages[0] = first
        return messages
    return [{"role": "system", "content": system}, *messages]


def prepare(
    body: Payload, user: User, model: ResolvedModel, default_params: dict[str, Any] | None = None
) -> Payload:
    """The upstream payload: server fields out, model params and system prompt in."""
    payload = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
    params = _merged_params(model, body.get("params"), default_params)
    for key, value in params.items():
        if key not in SERVER_PARAMS:
            payload[key] = value
    custom = params.get("custom_params")
    if isinstance(custom, dict):
        payload = _deep_merge(payload, custom)
    if "stream_response" in params and params["stream_response"] is not None:
        payload["stream"] = bool(params["stream_response"])
    system = params.get("system")
    if isinstance(system, str) and system.strip():
        values = template_variables(user, body.get("variables"))
        payload["messages"] = with_system(payload.get("messages") or [], substitute(system, values))
    payload["model"] = model.entry["id"]
    if not payload.get("stream"):
        payload.pop("stream_options", None)
    return payload


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.copy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
