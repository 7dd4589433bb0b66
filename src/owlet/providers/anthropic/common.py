"""Shared pieces of the Anthropic translation: the request error, ids, type guards."""

from __future__ import annotations

import json
import uuid
from typing import Any, NoReturn, TypeGuard

Json = dict[str, Any]
Event = tuple[str, Json]

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "end_turn",
}
# Anthropic requires prior thinking to be echoed back; OpenAI upstreams have no slot for it.
DROPPED_BLOCKS = frozenset({"thinking", "redacted_thinking"})
EMPTY_SCHEMA: Json = {"type": "object", "properties": {}}


class AnthropicRequestError(ValueError):
    """A client-caused problem in an Anthropic request body; the router answers 400."""


def fail(message: str) -> NoReturn:
    raise AnthropicRequestError(message)


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, but `true` is never a token count.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def nonempty_str(block: Json, key: str, where: str) -> str:
    value = block.get(key)
    if not isinstance(value, str) or not value:
        fail(f"{where}.{key}: a non-empty string is required")
    return value


# --- wire helpers ----------------------------------------------------------------------------


def encode_event(event: str, data: Json) -> bytes:
    """One SSE frame: `event: <name>` and compact JSON `data`."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


def error_body(message: str, kind: str = "invalid_request_error") -> Json:
    """An Anthropic error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message}}
