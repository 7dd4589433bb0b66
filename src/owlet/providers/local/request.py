"""The OpenAI chat body a local model is sent: checked here, so a bad request is a 400 before
any engine is started, and cut down to the fields llama.cpp's server understands."""

from __future__ import annotations

from typing import Any

from owlet.providers.ollama_translate import ShapeError

# OpenAI request fields passed to llama.cpp, and the JSON types each may have.
_NUMBER = (int, float)
_PARAMS: dict[str, tuple[type, ...]] = {
    "max_tokens": (int,),
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "top_k": (int,),
    "min_p": _NUMBER,
    "typical_p": _NUMBER,
    "seed": (int,),
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "repeat_penalty": _NUMBER,
    "stop": (str, list),
    "logit_bias": (dict,),
    "response_format": (dict,),
}


def chat_payload(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """The request for the engine (`model_id` is its alias); ShapeError if `body` is bad."""
    messages, params = request_params(body)
    payload: dict[str, Any] = {"model": model_id, "messages": messages, **params}
    if body.get("stream"):
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
    return payload


def request_params(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """(messages, sampling parameters) of an OpenAI chat body, checked; ShapeError if not."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ShapeError("messages must be a non-empty list")
    plain = [_plain(m) for m in messages]
    params: dict[str, Any] = {}
    if body.get("max_completion_tokens") is not None and body.get("max_tokens") is None:
        body = {**body, "max_tokens": body["max_completion_tokens"]}
    for key, types in _PARAMS.items():
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            raise ShapeError(f"{key} has the wrong type")
        params[key] = value
    if "max_tokens" in params and params["max_tokens"] < 1:
        raise ShapeError("max_tokens must be at least 1")
    stop = params.get("stop")
    if isinstance(stop, list) and not all(isinstance(s, str) for s in stop):
        raise ShapeError("stop must be a string or a list of strings")
    if "logit_bias" in params:
        try:
            params["logit_bias"] = {int(k): float(v) for k, v in params["logit_bias"].items()}
        except (TypeError, ValueError) as exc:
            raise ShapeError("logit_bias maps token ids to numbers") from exc
    response_format = params.get("response_format")
    if response_format is not None:
        kind = response_format.get("type")
        if kind == "text":
            del params["response_format"]
        elif kind == "json_schema":
            spec = response_format.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            if not isinstance(schema, dict):
                raise ShapeError("response_format json_schema needs a `schema` object")
            params["response_format"] = {"type": "json_object", "schema": schema}
        elif kind != "json_object":
            raise ShapeError("response_format type must be text, json_object or json_schema")
    return plain, params


def _plain(message: Any) -> dict[str, str]:
    if not isinstance(message, dict):
        raise ShapeError("each message must be an object")
    role = message.get("role")
    if role not in ("system", "developer", "user", "assistant", "tool"):
        raise ShapeError(f"unknown message role: {role!r}")
    content = message.get("content")
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                raise ShapeError("content parts must be objects")
            if part.get("type") == "text":
                texts.append(str(part.get("text") or ""))
            else:
                raise ShapeError("local models take text only")
        content = "".join(texts)
    elif content is None:
        content = ""
    elif not isinstance(content, str):
        raise ShapeError("message content must be a string or a list of parts")
    return {"role": "system" if role == "developer" else str(role), "content": content}
