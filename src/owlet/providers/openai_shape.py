"""Pure adjustments of an OpenAI chat body for the upstream it goes to (reference §1.7)."""

from __future__ import annotations

import re
from typing import Any

# o1, o3-mini, o4…, gpt-5, gpt-6…: models that take `max_completion_tokens` and `developer`.
_REASONING = re.compile(r"^(o\d|gpt-([5-9]|\d{2,}))")
_SYSTEM_AS_USER = ("o1-mini", "o1-preview")


def is_reasoning_model(model_id: str) -> bool:
    return bool(_REASONING.match(model_id.rsplit("/", 1)[-1].lower()))


def chat_body(body: dict[str, Any], upstream_model: str, base_url: str) -> dict[str, Any]:
    """The body to send: the upstream's model id, reasoning-model rules, tool text joined."""
    payload = {**body, "model": upstream_model}
    if not payload.get("stream"):
        payload.pop("stream_options", None)
    if is_reasoning_model(upstream_model):
        if "max_tokens" in payload:
            payload.setdefault("max_completion_tokens", payload["max_tokens"])
            del payload["max_tokens"]
        messages = payload.get("messages")
        if isinstance(messages, list) and messages and _role(messages[0]) == "system":
            name = upstream_model.rsplit("/", 1)[-1].lower()
            role = "user" if name.startswith(_SYSTEM_AS_USER) else "developer"
            payload["messages"] = [{**messages[0], "role": role}, *messages[1:]]
    elif "api.openai.com" not in base_url and "max_completion_tokens" in payload:
        payload.setdefault("max_tokens", payload["max_completion_tokens"])
        del payload["max_completion_tokens"]
    messages = payload.get("messages")
    if isinstance(messages, list) and any(_tool_with_parts(m) for m in messages):
        payload["messages"] = [_joined(m) if _tool_with_parts(m) else m for m in messages]
    return payload


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def _tool_with_parts(message: Any) -> bool:
    return _role(message) == "tool" and isinstance(message.get("content"), list)


def _joined(message: dict[str, Any]) -> dict[str, Any]:
    texts = [
        str(part.get("text", ""))
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") == "text"
    ]
    return {**message, "content": "".join(texts)}


def completion_as_chunks(completion: Any) -> list[dict[str, Any]]:
    """A whole `chat.completion` as the chunks a stream would have carried (for servers that
    answer `stream: true` with one JSON body)."""
    if not isinstance(completion, dict):
        return []
    head = {
        "id": completion.get("id", ""),
        "object": "chat.completion.chunk",
        "created": completion.get("created", 0),
        "model": completion.get("model", ""),
    }
    chunks = []
    for choice in completion.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        message = choice.get("message")
        items = message.items() if isinstance(message, dict) else ()
        delta = {k: v for k, v in items if v is not None}
        if isinstance(delta.get("tool_calls"), list):
            delta["tool_calls"] = [
                {**call, "index": i} if isinstance(call, dict) else call
                for i, call in enumerate(delta["tool_calls"])
            ]
        index = choice.get("index", 0)
        chunks.append({**head, "choices": [{"index": index, "delta": delta}]})
        finish = {"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")}
        chunks.append({**head, "choices": [finish]})
    if chunks and completion.get("usage"):
        chunks[-1]["usage"] = completion["usage"]
    return chunks
