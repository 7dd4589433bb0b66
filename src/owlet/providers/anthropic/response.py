"""OpenAI Chat Completions response or chunks -> Anthropic message or SSE events (no I/O)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from owlet.providers.anthropic.common import STOP_REASONS, Event, Json, is_int, new_id

# --- response: OpenAI -> Anthropic -----------------------------------------------------------


def _stop_reason(finish_reason: object, used_tools: bool) -> str:
    reason = (
        STOP_REASONS.get(finish_reason, "end_turn")
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
    return value if is_int(value) else 0


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
        "id": call_id if isinstance(call_id, str) and call_id else new_id("toolu_"),
        "name": name if isinstance(name, str) else "",
        "input": _parse_arguments(function.get("arguments")),
    }


def _response_id(raw: object) -> str:
    if not isinstance(raw, str) or not raw:
        return new_id("msg_")
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
        self.message_id = message_id or new_id("msg_")
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
            if is_int(usage.get("prompt_tokens")):
                self._input_tokens = usage["prompt_tokens"]
            if is_int(usage.get("completion_tokens")):
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
        key = index if is_int(index) else position
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
            "id": state.id or new_id("toolu_"),
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
