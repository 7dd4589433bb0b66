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
    # Ollama's own option names, accepted as stored model params or top-level keys.
    "num_predict": "num_predict",
    "num_keep": "num_keep",
    "num_batch": "num_batch",
    "num_gpu": "num_gpu",
    "num_thread": "num_thread",
    "repeat_last_n": "repeat_last_n",
    "typical_p": "typical_p",
    "tfs_z": "tfs_z",
    "mirostat": "mirostat",
    "mirostat_eta": "mirostat_eta",
    "mirostat_tau": "mirostat_tau",
    "use_mmap": "use_mmap",
    "use_mlock": "use_mlock",
}
# OpenAI-only keys with no Ollama meaning.
_DROPPED = {"stream_options", "n", "logit_bias", "user", "parallel_tool_calls", "tool_choice"}
_HANDLED = {"model", "messages", "stream", "response_format", "tools", "options"}


class ShapeError(ValueError):
    """A request field has a shape the translation cannot use (the client gets a 400)."""


def options_of(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShapeError("`options` must be an object")
    return dict(value)


def ollama_option(key: str, value: Any) -> tuple[str, Any]:
    """An OpenAI-named param as Ollama's option (`stop` is always a list there)."""
    if key == "stop" and isinstance(value, str):
        value = [value]
    return OPTION_NAMES.get(key, key), value


def chat_request(body: dict[str, Any], upstream_model: str) -> dict[str, Any]:
    """An OpenAI chat body as an Ollama `/api/chat` body. Unknown keys pass through."""
    options = options_of(body.get("options"))
    raw_messages = body.get("messages") or []
    if not isinstance(raw_messages, list) or not all(isinstance(m, dict) for m in raw_messages):
        raise ShapeError("`messages` must be a list of objects")
    tool_names = _tool_names(raw_messages)
    payload: dict[str, Any] = {
        "model": upstream_model,
        "messages": [_message(m, tool_names) for m in raw_messages],
        "stream": bool(body.get("stream", False)),
    }
    for key, value in body.items():
        if key in OPTION_NAMES:
            if value is not None:
                name, value = ollama_option(key, value)
                options[name] = value
        elif key not in _HANDLED and key not in _DROPPED:
            payload[key] = value
    if options:
        payload["options"] = options
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_object":
            payload["format"] = "json"
        elif response_format.get("type") == "json_schema":
            schema = response_format.get("json_schema")
            payload["format"] = schema.get("schema", "json") if isinstance(schema, dict) else "json"
    if body.get("tools"):
        payload["tools"] = body["tools"]
    return payload


def _tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Tool-call id -> function name, from the assistant messages that made the calls."""
    names = {}
    for message in messages:
        for call in _tool_call_list(message):
            function = call.get("function")
            if isinstance(call.get("id"), str) and isinstance(function, dict):
                names[call["id"]] = str(function.get("name", ""))
    return names


def _tool_call_list(message: dict[str, Any]) -> list[dict[str, Any]]:
    calls = message.get("tool_calls")
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def _image_url(part: dict[str, Any]) -> str:
    image = part.get("image_url")
    url = image.get("url", "") if isinstance(image, dict) else image
    url = url if isinstance(url, str) else ""
    # Ollama takes bare base64; a data URI loses its header.
    return url.split(",", 1)[1] if url.startswith("data:") and "," in url else url


def _message(message: dict[str, Any], tool_names: dict[str, str]) -> dict[str, Any]:
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
                images.append(_image_url(part))
        out["content"] = "\n".join(texts)
        if images:
            out["images"] = images
    else:
        out["content"] = content if content is not None else ""
    calls = _tool_call_list(message)
    if calls:
        out["tool_calls"] = [_tool_call_to_ollama(c) for c in calls]
    if message.get("role") == "tool":
        name = message.get("name") or tool_names.get(str(message.get("tool_call_id")))
        if name:
            out["tool_name"] = name
    return out


def _tool_call_to_ollama(call: dict[str, Any]) -> dict[str, Any]:
    raw = call.get("function")
    function = dict(raw) if isinstance(raw, dict) else {}
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments else {}
        except ValueError:
            arguments = {}
    function["arguments"] = arguments if isinstance(arguments, dict) else {}
    return {"function": function}


def _tool_calls_to_openai(calls: list[Any], first_index: int = 0) -> list[dict[str, Any]]:
    result = []
    for index, call in enumerate(c for c in calls if isinstance(c, dict)):
        raw = call.get("function")
        function: dict[str, Any] = raw if isinstance(raw, dict) else {}
        arguments = function.get("arguments", {})
        result.append(
            {
                "index": first_index + index,
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {
                    "name": function.get("name", ""),
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    return result


def usage(frame: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's token counts plus Ollama's own timings, the usage Open WebUI reports for an
    Ollama answer (durations in nanoseconds, rates in tokens per second)."""
    prompt = _count(frame, "prompt_eval_count")
    completion = _count(frame, "eval_count")
    timings = {
        key: _count(frame, key)
        for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")
    }
    seconds = timings["total_duration"] // 1_000_000_000
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "response_token/s": _rate(completion, timings["eval_duration"]),
        "prompt_token/s": _rate(prompt, timings["prompt_eval_duration"]),
        "total_duration": timings["total_duration"],
        "load_duration": timings["load_duration"],
        "prompt_eval_count": prompt,
        "prompt_eval_duration": timings["prompt_eval_duration"],
        "eval_count": completion,
        "eval_duration": timings["eval_duration"],
        "approximate_total": f"{seconds // 3600}h{seconds % 3600 // 60}m{seconds % 60}s",
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },  # fmt: skip
    }


def _count(frame: dict[str, Any], key: str) -> int:
    value = frame.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _rate(tokens: int, nanoseconds: int) -> float:
    return round(tokens / (nanoseconds / 1_000_000_000), 2) if nanoseconds else 0.0


def _finish_reason(frame: dict[str, Any], saw_tool_calls: bool) -> str:
    if saw_tool_calls:
        return "tool_calls"
    return "length" if frame.get("done_reason") == "length" else "stop"


def _message_of(frame: dict[str, Any]) -> dict[str, Any]:
    message = frame.get("message")
    return message if isinstance(message, dict) else {}


@dataclass
class ChunkTranslator:
    """Ollama `/api/chat` stream frames to OpenAI `chat.completion.chunk` objects."""

    model: str
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))
    started: bool = False
    tool_calls: int = 0  # so far: each call in a stream gets the next index

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "logprobs": None, "delta": delta, "finish_reason": finish}],
        }

    def feed(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        message = _message_of(frame)
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
        calls = message.get("tool_calls")
        if isinstance(calls, list) and calls:
            delta["tool_calls"] = _tool_calls_to_openai(calls, self.tool_calls)
            self.tool_calls += len(delta["tool_calls"])
        chunks = []
        if delta:
            chunks.append(self._chunk(delta, None))
        if frame.get("done"):
            final = self._chunk({}, _finish_reason(frame, self.tool_calls > 0))
            final["usage"] = usage(frame)
            chunks.append(final)
        return chunks


def chat_response(frame: dict[str, Any], model: str) -> dict[str, Any]:
    """A non-streamed Ollama chat answer as an OpenAI `chat.completion`."""
    message = _message_of(frame)
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content", "")}
    if message.get("thinking"):
        out["reasoning_content"] = message["thinking"]
    calls = message.get("tool_calls")
    calls = calls if isinstance(calls, list) else []
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
            {
                "index": 0,
                "logprobs": None,
                "message": out,
                "finish_reason": _finish_reason(frame, bool(calls)),
            }  # fmt: skip
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
