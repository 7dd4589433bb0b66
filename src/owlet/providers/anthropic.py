"""Translation between Anthropic Messages and OpenAI Chat Completions, with no HTTP or I/O."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn, TypeGuard

Json = dict[str, Any]
Event = tuple[str, Json]

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "end_turn",
}
# Anthropic requires prior thinking to be echoed back; OpenAI upstreams have no slot for it.
_DROPPED_BLOCKS = frozenset({"thinking", "redacted_thinking"})
_EMPTY_SCHEMA: Json = {"type": "object", "properties": {}}


class AnthropicRequestError(ValueError):
    """A client-caused problem in an Anthropic request body; the router answers 400."""


def _fail(message: str) -> NoReturn:
    raise AnthropicRequestError(message)


def _new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, but `true` is never a token count.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _nonempty_str(block: Json, key: str, where: str) -> str:
    value = block.get(key)
    if not isinstance(value, str) or not value:
        _fail(f"{where}.{key}: a non-empty string is required")
    return value


# --- request: Anthropic -> OpenAI ------------------------------------------------------------


def to_openai_request(body: Json) -> Json:
    """The OpenAI Chat Completions body equivalent to an Anthropic Messages body."""
    if not isinstance(body, dict):
        _fail("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        _fail("model: a non-empty string is required")
    messages = body.get("messages")
    if not isinstance(messages, list):
        _fail("messages: must be a list")
    if not messages:
        _fail("messages: at least one message is required")
    out: Json = {
        "model": model,
        "messages": _system_messages(body.get("system")) + _convert_messages(messages),
    }
    out.update(_sampling_options(body))
    user = _metadata_user(body.get("metadata"))
    if user is not None:
        out["user"] = user
    out.update(_tool_options(body))
    if out.get("stream"):
        # Without this OpenAI never sends usage on a stream, and message_delta needs it.
        out["stream_options"] = {"include_usage": True}
    return out


def _sampling_options(body: Json) -> Json:
    out: Json = {}
    max_tokens = body.get("max_tokens")
    if max_tokens is not None:
        if not _is_int(max_tokens) or max_tokens < 1:
            _fail("max_tokens: must be a positive integer")
        out["max_tokens"] = max_tokens
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if value is not None:
            if not _is_number(value):
                _fail(f"{key}: must be a number")
            out[key] = value
    stream = body.get("stream")
    if stream is not None:
        if not isinstance(stream, bool):
            _fail("stream: must be a boolean")
        out["stream"] = stream
    stops = body.get("stop_sequences")
    if stops is not None:
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            _fail("stop_sequences: must be a list of strings")
        if stops:
            out["stop"] = stops
    return out


def _metadata_user(metadata: object) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        _fail("metadata: must be an object")
    user_id = metadata.get("user_id")
    if user_id is not None and not isinstance(user_id, str):
        _fail("metadata.user_id: must be a string")
    return user_id


def _system_messages(system: object) -> list[Json]:
    if system is None:
        return []
    if isinstance(system, str):
        text = system
    elif isinstance(system, list):
        blocks = _content_blocks(system, "system")
        for i, block in enumerate(blocks):
            if block["type"] != "text":
                _fail(f"system[{i}]: only text blocks are allowed, got {block['type']!r}")
        text = "\n".join(_block_text(block, f"system[{i}]") for i, block in enumerate(blocks))
    else:
        _fail("system: must be a string or a list of text blocks")
    return [{"role": "system", "content": text}] if text else []


def _convert_messages(messages: list[Any]) -> list[Json]:
    out: list[Json] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            _fail(f"{where}: must be an object")
        role = message.get("role")
        content = message.get("content")
        if not isinstance(content, str | list):
            _fail(f"{where}.content: must be a string or a list of content blocks")
        if role == "user":
            out.extend(_user_messages(content, where))
        elif role == "assistant":
            out.append(_assistant_message(content, where))
        else:
            _fail(f"{where}.role: must be 'user' or 'assistant', got {role!r}")
    return out


def _content_blocks(content: list[Any], where: str) -> list[Json]:
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            _fail(f"{where}[{i}]: a content block must be an object with a string 'type'")
    return content


def _block_text(block: Json, where: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        _fail(f"{where}.text: must be a string")
    return text


def _user_messages(content: str | list[Any], where: str) -> list[Json]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    tool_messages: list[Json] = []
    parts: list[Json] = []
    for i, block in enumerate(_content_blocks(content, f"{where}.content")):
        at = f"{where}.content[{i}]"
        kind = block["type"]
        if kind == "text":
            parts.append({"type": "text", "text": _block_text(block, at)})
        elif kind == "image":
            parts.append(_image_part(block, at))
        elif kind == "tool_result":
            tool_messages.append(_tool_message(block, at))
        elif kind not in _DROPPED_BLOCKS:
            _fail(f"{at}: unsupported content block type {kind!r} in a user message")
    if tool_messages and not parts:
        return tool_messages
    # OpenAI requires tool replies to follow the assistant turn directly, so they go first.
    return [*tool_messages, {"role": "user", "content": _collapse_parts(parts)}]


def _collapse_parts(parts: list[Json]) -> str | list[Json]:
    if not parts:
        return ""
    if len(parts) == 1 and parts[0]["type"] == "text":
        return str(parts[0]["text"])
    return parts


def _image_part(block: Json, where: str) -> Json:
    source = block.get("source")
    if not isinstance(source, dict):
        _fail(f"{where}.source: must be an object")
    kind = source.get("type")
    if kind == "base64":
        media_type = _nonempty_str(source, "media_type", f"{where}.source")
        data = _nonempty_str(source, "data", f"{where}.source")
        url = f"data:{media_type};base64,{data}"
    elif kind == "url":
        url = _nonempty_str(source, "url", f"{where}.source")
    else:
        _fail(f"{where}.source.type: must be 'base64' or 'url', got {kind!r}")
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_message(block: Json, where: str) -> Json:
    tool_use_id = _nonempty_str(block, "tool_use_id", where)
    content = block.get("content")
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = _tool_result_text(content, f"{where}.content")
    else:
        _fail(f"{where}.content: must be a string or a list of content blocks")
    return {"role": "tool", "tool_call_id": tool_use_id, "content": text}


def _tool_result_text(content: list[Any], where: str) -> str:
    texts: list[str] = []
    for i, block in enumerate(_content_blocks(content, where)):
        kind = block["type"]
        if kind == "text":
            texts.append(_block_text(block, f"{where}[{i}]"))
        elif kind != "image":
            _fail(f"{where}[{i}]: unsupported content block type {kind!r} in a tool_result")
        # Images are skipped: OpenAI tool messages carry text only.
    return "\n".join(texts)


def _assistant_message(content: str | list[Any], where: str) -> Json:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[Json] = []
    for i, block in enumerate(_content_blocks(content, f"{where}.content")):
        at = f"{where}.content[{i}]"
        kind = block["type"]
        if kind == "text":
            texts.append(_block_text(block, at))
        elif kind == "tool_use":
            calls.append(_tool_call(block, at))
        elif kind not in _DROPPED_BLOCKS:
            _fail(f"{at}: unsupported content block type {kind!r} in an assistant message")
    message: Json = {"role": "assistant", "content": "\n".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    elif message["content"] is None:
        # A null content is only valid next to tool_calls.
        message["content"] = ""
    return message


def _tool_call(block: Json, where: str) -> Json:
    call_id = _nonempty_str(block, "id", where)
    name = _nonempty_str(block, "name", where)
    arguments = block.get("input", {})
    if not isinstance(arguments, dict):
        _fail(f"{where}.input: must be an object")
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def _tool_options(body: Json) -> Json:
    out: Json = {}
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            _fail("tools: must be a list")
        converted = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(tools)]
        if converted:
            out["tools"] = converted
    choice = body.get("tool_choice")
    if choice is not None:
        options = _tool_choice(choice)
        # OpenAI rejects tool_choice without tools; Anthropic tolerates it.
        if "tools" in out:
            out.update(options)
    return out


def _tool(tool: object, where: str) -> Json:
    if not isinstance(tool, dict):
        _fail(f"{where}: must be an object")
    kind = tool.get("type")
    if kind not in (None, "custom"):
        _fail(f"{where}.type: server tool {kind!r} is not supported; only custom tools are")
    name = _nonempty_str(tool, "name", where)
    schema = tool.get("input_schema", _EMPTY_SCHEMA)
    if not isinstance(schema, dict):
        _fail(f"{where}.input_schema: must be an object")
    function: Json = {"name": name, "parameters": schema}
    description = tool.get("description")
    if description is not None:
        if not isinstance(description, str):
            _fail(f"{where}.description: must be a string")
        function["description"] = description
    return {"type": "function", "function": function}


def _tool_choice(choice: object) -> Json:
    if not isinstance(choice, dict):
        _fail("tool_choice: must be an object")
    kind = choice.get("type")
    value: str | Json
    if kind == "auto":
        value = "auto"
    elif kind == "any":
        value = "required"
    elif kind == "none":
        value = "none"
    elif kind == "tool":
        value = {
            "type": "function",
            "function": {"name": _nonempty_str(choice, "name", "tool_choice")},
        }
    else:
        _fail(f"tool_choice.type: must be 'auto', 'any', 'tool' or 'none', got {kind!r}")
    out: Json = {"tool_choice": value}
    if choice.get("disable_parallel_tool_use") is True:
        out["parallel_tool_calls"] = False
    return out


# --- response: OpenAI -> Anthropic -----------------------------------------------------------


def _stop_reason(finish_reason: object, used_tools: bool) -> str:
    reason = (
        _STOP_REASONS.get(finish_reason, "end_turn")
        if isinstance(finish_reason, str)
        else "end_turn"
    )
    # Some upstreams report "stop" after a tool call; agent loops key off "tool_use".
    if used_tools and reason == "end_turn":
        return "tool_use"
    return reason


def _reasoning_of(message: Json) -> str:
    # `reasoning_content` is the common field; several OpenAI-compatible servers say `reasoning`.
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _token_count(usage: object, key: str) -> int:
    if not isinstance(usage, dict):
        return 0
    value = usage.get(key)
    return value if _is_int(value) else 0


def _message_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
        )
    return ""


def _parse_arguments(raw: object) -> Json:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _tool_use_block(call: object) -> Json | None:
    if not isinstance(call, dict):
        return None
    function = call.get("function")
    if not isinstance(function, dict):
        return None
    call_id = call.get("id")
    name = function.get("name")
    return {
        "type": "tool_use",
        "id": call_id if isinstance(call_id, str) and call_id else _new_id("toolu_"),
        "name": name if isinstance(name, str) else "",
        "input": _parse_arguments(function.get("arguments")),
    }


def _response_id(raw: object) -> str:
    if not isinstance(raw, str) or not raw:
        return _new_id("msg_")
    return raw if raw.startswith("msg_") else f"msg_{raw}"


def from_openai_response(response: Json, model: str) -> Json:
    """The Anthropic message for a non-streamed OpenAI chat completion."""
    choices = response.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    choice = choice if isinstance(choice, dict) else {}
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    content: list[Json] = []
    reasoning = _reasoning_of(message)
    if reasoning:
        content.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    text = _message_text(message.get("content"))
    if text:
        content.append({"type": "text", "text": text})
    raw_calls = message.get("tool_calls")
    for call in raw_calls if isinstance(raw_calls, list) else []:
        block = _tool_use_block(call)
        if block is not None:
            content.append(block)
    used_tools = any(block["type"] == "tool_use" for block in content)
    usage = response.get("usage")
    return {
        "id": _response_id(response.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _stop_reason(choice.get("finish_reason"), used_tools),
        "stop_sequence": None,
        "usage": {
            "input_tokens": _token_count(usage, "prompt_tokens"),
            "output_tokens": _token_count(usage, "completion_tokens"),
        },
    }


# --- streaming: OpenAI chunks -> Anthropic SSE events ----------------------------------------


@dataclass
class _ToolCall:
    """One OpenAI tool call being streamed, keyed by its OpenAI `index`."""

    id: str = ""
    name: str = ""
    pending: str = ""
    started: bool = False


class AnthropicStream:
    """Turns OpenAI `chat.completion.chunk` dicts into Anthropic SSE events, one chunk at a time.

    Anthropic content blocks are strictly sequential, so a block of a new kind closes the
    open one; blocks are never reopened.
    """

    def __init__(self, model: str, message_id: str | None = None) -> None:
        self.model = model
        self.message_id = message_id or _new_id("msg_")
        self._started = False
        self._finished = False
        self._open: str | None = None  # "text", "thinking" or "tool:<openai index>"
        self._index = -1
        self._tools: dict[int, _ToolCall] = {}
        self._used_tools = False
        self._finish_reason: str | None = None
        self._input_tokens = 0
        self._output_tokens = 0

    def feed(self, chunk: Json) -> list[Event]:
        """Events to send now for one upstream chunk."""
        if self._finished or not isinstance(chunk, dict):
            return []
        self._read_usage(chunk.get("usage"))
        events = self._start()
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            # Anthropic has no `n`; only the first choice is relayed.
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                events += self._delta(delta)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self._finish_reason = reason
        return events

    def finish(self) -> list[Event]:
        """Closing events: the open block, message_delta and message_stop. Later calls: []."""
        if self._finished:
            return []
        self._finished = True
        # Tool calls whose name never arrived are dropped: a tool_use block needs a name.
        events = self._start() + self._close()
        delta = {
            "type": "message_delta",
            "delta": {
                "stop_reason": _stop_reason(self._finish_reason, self._used_tools),
                "stop_sequence": None,
            },
            # input_tokens is repeated here because message_start went out before usage arrived.
            "usage": {"input_tokens": self._input_tokens, "output_tokens": self._output_tokens},
        }
        return [*events, ("message_delta", delta), ("message_stop", {"type": "message_stop"})]

    def _read_usage(self, usage: object) -> None:
        if isinstance(usage, dict):
            if _is_int(usage.get("prompt_tokens")):
                self._input_tokens = usage["prompt_tokens"]
            if _is_int(usage.get("completion_tokens")):
                self._output_tokens = usage["completion_tokens"]

    def _start(self) -> list[Event]:
        if self._started:
            return []
        self._started = True
        message: Json = {
            "id": self.message_id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self._input_tokens, "output_tokens": 0},
        }
        return [("message_start", {"type": "message_start", "message": message})]

    def _delta(self, delta: Json) -> list[Event]:
        events: list[Event] = []
        reasoning = _reasoning_of(delta)
        if reasoning:
            events += self._text_delta("thinking", reasoning)
        content = delta.get("content")
        if isinstance(content, str) and content:
            events += self._text_delta("text", content)
        calls = delta.get("tool_calls")
        for position, call in enumerate(calls if isinstance(calls, list) else []):
            if isinstance(call, dict):
                events += self._tool_delta(call, position)
        return events

    def _text_delta(self, kind: str, piece: str) -> list[Event]:
        events: list[Event] = []
        if self._open != kind:
            events += self._close()
            block: Json = (
                {"type": "text", "text": ""}
                if kind == "text"
                else {"type": "thinking", "thinking": "", "signature": ""}
            )
            events.append(self._open_block(kind, block))
        delta = (
            {"type": "text_delta", "text": piece}
            if kind == "text"
            else {"type": "thinking_delta", "thinking": piece}
        )
        events.append(self._block_delta(delta))
        return events

    def _tool_delta(self, call: Json, position: int) -> list[Event]:
        index = call.get("index")
        key = index if _is_int(index) else position
        state = self._tools.setdefault(key, _ToolCall())
        call_id = call.get("id")
        if isinstance(call_id, str) and call_id and not state.id:
            state.id = call_id
        function = call.get("function")
        function = function if isinstance(function, dict) else {}
        name = function.get("name")
        if isinstance(name, str) and name and not state.name:
            state.name = name
        piece = function.get("arguments")
        if isinstance(piece, dict):
            piece = json.dumps(piece, ensure_ascii=False)
        piece = piece if isinstance(piece, str) else ""
        if not state.started:
            # Arguments may precede the name on some upstreams; hold them until the block opens.
            state.pending += piece
            return self._start_tool(key, state) if state.name else []
        if piece and self._open == f"tool:{key}":
            return [self._block_delta({"type": "input_json_delta", "partial_json": piece})]
        # A piece for an already closed block cannot be delivered: blocks never reopen.
        return []

    def _start_tool(self, key: int, state: _ToolCall) -> list[Event]:
        state.started = True
        self._used_tools = True
        block = {
            "type": "tool_use",
            "id": state.id or _new_id("toolu_"),
            "name": state.name,
            "input": {},
        }
        events = [*self._close(), self._open_block(f"tool:{key}", block)]
        if state.pending:
            events.append(
                self._block_delta({"type": "input_json_delta", "partial_json": state.pending})
            )
            state.pending = ""
        return events

    def _open_block(self, key: str, block: Json) -> Event:
        self._index += 1
        self._open = key
        data = {"type": "content_block_start", "index": self._index, "content_block": block}
        return ("content_block_start", data)

    def _block_delta(self, delta: Json) -> Event:
        data = {"type": "content_block_delta", "index": self._index, "delta": delta}
        return ("content_block_delta", data)

    def _close(self) -> list[Event]:
        if self._open is None:
            return []
        self._open = None
        return [("content_block_stop", {"type": "content_block_stop", "index": self._index})]


# --- wire helpers ----------------------------------------------------------------------------


def encode_event(event: str, data: Json) -> bytes:
    """One SSE frame: `event: <name>` and compact JSON `data`."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


def error_body(message: str, kind: str = "invalid_request_error") -> Json:
    """An Anthropic error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message}}
