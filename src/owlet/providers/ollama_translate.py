"""Pure translation between OpenAI Chat Completions and Ollama's native API shapes."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

# OpenAI body keys that become Ollama `options`, with their Ollama names.
OPTION_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "seed": "seed",
    "stop": "stop",
    "max_tokens": "num_predict",
    "max_completion_tokens": "num_predict",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "repeat_penalty": "repeat_penalty",
    "num_ctx": "num_ctx",
}
# OpenAI-only keys with no Ollama meaning.
_DROPPED = {"stream_options", "n", "logit_bias", "user", "parallel_tool_calls", "tool_choice"}
_HANDLED = {"model", "messages", "stream", "response_format", "tools", "options"}


def chat_request(body: dict[str, Any], upstream_model: str) -> dict[str, Any]:
    """An OpenAI chat body as an Ollama `/api/chat` body. Unknown keys pass through."""
    options = dict(body.get("options") or {})
    payload: dict[str, Any] = {
        "model": upstream_model,
        "messages": [_message(m) for m in body.get("messages") or []],
        "stream": bool(body.get("stream", False)),
    }
    for key, value in body.items():
        if key in OPTION_NAMES:
            if value is not None:
                options[OPTION_NAMES[key]] = value
        elif key not in _HANDLED and key not in _DROPPED:
            payload[key] = value
    if options:
        payload["options"] = options
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_object":
            payload["format"] = "json"
        elif response_format.get("type") == "json_schema":
            payload["format"] = (response_format.get("json_schema") or {}).get("schema", "json")
    if body.get("tools"):
        payload["tools"] = body["tools"]
    return payload


def _message(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.get("role", "user")}
    content = message.get("content")
    if isinstance(content, list):
        texts, images = [], []
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "image_url":
                url = str((part.get("image_url") or {}).get("url", ""))
                # Ollama takes bare base64; a data URI loses its header.
                images.append(url.split(",", 1)[1] if url.startswith("data:") else url)
        out["content"] = "\n".join(texts)
        if images:
            out["images"] = images
    else:
        out["content"] = content if content is not None else ""
    if message.get("tool_calls"):
        out["tool_calls"] = [_tool_call_to_ollama(c) for c in message["tool_calls"]]
    if message.get("role") == "tool" and message.get("name"):
        out["tool_name"] = message["name"]
    return out


def _tool_call_to_ollama(call: dict[str, Any]) -> dict[str, Any]:
    function = dict(call.get("function") or {})
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            function["arguments"] = json.loads(arguments) if arguments else {}
        except ValueError:
            function["arguments"] = {}
    return {"function": function}


def _tool_calls_to_openai(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for index, call in enumerate(calls):
        function = call.get("function") or {}
        arguments = function.get("arguments", {})
        result.append(
            {
                "index": index,
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {
                    "name": function.get("name", ""),
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    return result


def usage(frame: dict[str, Any]) -> dict[str, int]:
    prompt = int(frame.get("prompt_eval_count") or 0)
    completion = int(frame.get("eval_count") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _finish_reason(frame: dict[str, Any], saw_tool_calls: bool) -> str:
    if saw_tool_calls:
        return "tool_calls"
    return "length" if frame.get("done_reason") == "length" else "stop"


@dataclass
class ChunkTranslator:
    """Ollama `/api/chat` stream frames to OpenAI `chat.completion.chunk` objects."""

    model: str
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))
    started: bool = False
    saw_tool_calls: bool = False

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def feed(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        message = frame.get("message") or {}
        delta: dict[str, Any] = {}
        if not self.started:
            delta["role"] = "assistant"
            self.started = True
        content = message.get("content")
        if content:
            delta["content"] = content
        thinking = message.get("thinking")
        if thinking:
            delta["reasoning_content"] = thinking
        if message.get("tool_calls"):
            self.saw_tool_calls = True
            delta["tool_calls"] = _tool_calls_to_openai(message["tool_calls"])
        chunks = []
        if delta:
            chunks.append(self._chunk(delta, None))
        if frame.get("done"):
            final = self._chunk({}, _finish_reason(frame, self.saw_tool_calls))
            final["usage"] = usage(frame)
            chunks.append(final)
        return chunks


def chat_response(frame: dict[str, Any], model: str) -> dict[str, Any]:
    """A non-streamed Ollama chat answer as an OpenAI `chat.completion`."""
    message = frame.get("message") or {}
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content", "")}
    if message.get("thinking"):
        out["reasoning_content"] = message["thinking"]
    calls = message.get("tool_calls") or []
    if calls:
        out["tool_calls"] = [
            {k: v for k, v in c.items() if k != "index"} for c in _tool_calls_to_openai(calls)
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": out, "finish_reason": _finish_reason(frame, bool(calls))}
        ],
        "usage": usage(frame),
    }


def embed_request(body: dict[str, Any], upstream_model: str) -> dict[str, Any]:
    payload = {k: v for k, v in body.items() if k not in ("model", "encoding_format")}
    payload["model"] = upstream_model
    return payload


def embed_response(frame: dict[str, Any], model: str) -> dict[str, Any]:
    """Ollama `/api/embed` output in OpenAI `/embeddings` shape."""
    vectors = frame.get("embeddings") or []
    tokens = int(frame.get("prompt_eval_count") or 0)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "embedding": vector, "index": i}
            for i, vector in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
