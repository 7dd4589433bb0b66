"""Anthropic Messages request -> OpenAI Chat Completions request (no I/O)."""

from __future__ import annotations

import json
from typing import Any

from owlet.providers.anthropic.common import (
    DROPPED_BLOCKS,
    EMPTY_SCHEMA,
    Json,
    fail,
    is_int,
    is_number,
    nonempty_str,
)

# --- request: Anthropic -> OpenAI ------------------------------------------------------------


def to_openai_request(body: Json) -> Json:
    """The OpenAI Chat Completions body equivalent to an Anthropic Messages body."""
    if not isinstance(body, dict):
        fail("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        fail("model: a non-empty string is required")
    messages = body.get("messages")
    if not isinstance(messages, list):
        fail("messages: must be a list")
    if not messages:
        fail("messages: at least one message is required")
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
        if not is_int(max_tokens) or max_tokens < 1:
            fail("max_tokens: must be a positive integer")
        out["max_tokens"] = max_tokens
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if value is not None:
            if not is_number(value):
                fail(f"{key}: must be a number")
            out[key] = value
    stream = body.get("stream")
    if stream is not None:
        if not isinstance(stream, bool):
            fail("stream: must be a boolean")
        out["stream"] = stream
    stops = body.get("stop_sequences")
    if stops is not None:
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            fail("stop_sequences: must be a list of strings")
        if stops:
            out["stop"] = stops
    return out


def _metadata_user(metadata: object) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        fail("metadata: must be an object")
    user_id = metadata.get("user_id")
    if user_id is not None and not isinstance(user_id, str):
        fail("metadata.user_id: must be a string")
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
                fail(f"system[{i}]: only text blocks are allowed, got {block['type']!r}")
        text = "\n".join(_block_text(block, f"system[{i}]") for i, block in enumerate(blocks))
    else:
        fail("system: must be a string or a list of text blocks")
    return [{"role": "system", "content": text}] if text else []


def _convert_messages(messages: list[Any]) -> list[Json]:
    out: list[Json] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            fail(f"{where}: must be an object")
        role = message.get("role")
        content = message.get("content")
        if not isinstance(content, str | list):
            fail(f"{where}.content: must be a string or a list of content blocks")
        if role == "user":
            out.extend(_user_messages(content, where))
        elif role == "assistant":
            out.append(_assistant_message(content, where))
        else:
            fail(f"{where}.role: must be 'user' or 'assistant', got {role!r}")
    return out


def _content_blocks(content: list[Any], where: str) -> list[Json]:
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            fail(f"{where}[{i}]: a content block must be an object with a string 'type'")
    return content


def _block_text(block: Json, where: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        fail(f"{where}.text: must be a string")
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
        elif kind not in DROPPED_BLOCKS:
            fail(f"{at}: unsupported content block type {kind!r} in a user message")
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
        fail(f"{where}.source: must be an object")
    kind = source.get("type")
    if kind == "base64":
        media_type = nonempty_str(source, "media_type", f"{where}.source")
        data = nonempty_str(source, "data", f"{where}.source")
        url = f"data:{media_type};base64,{data}"
    elif kind == "url":
        url = nonempty_str(source, "url", f"{where}.source")
    else:
        fail(f"{where}.source.type: must be 'base64' or 'url', got {kind!r}")
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_message(block: Json, where: str) -> Json:
    tool_use_id = nonempty_str(block, "tool_use_id", where)
    content = block.get("content")
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = _tool_result_text(content, f"{where}.content")
    else:
        fail(f"{where}.content: must be a string or a list of content blocks")
    return {"role": "tool", "tool_call_id": tool_use_id, "content": text}


def _tool_result_text(content: list[Any], where: str) -> str:
    texts: list[str] = []
    for i, block in enumerate(_content_blocks(content, where)):
        kind = block["type"]
        if kind == "text":
            texts.append(_block_text(block, f"{where}[{i}]"))
        elif kind != "image":
            fail(f"{where}[{i}]: unsupported content block type {kind!r} in a tool_result")
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
        elif kind not in DROPPED_BLOCKS:
            fail(f"{at}: unsupported content block type {kind!r} in an assistant message")
    message: Json = {"role": "assistant", "content": "\n".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    elif message["content"] is None:
        # A null content is only valid next to tool_calls.
        message["content"] = ""
    return message


def _tool_call(block: Json, where: str) -> Json:
    call_id = nonempty_str(block, "id", where)
    name = nonempty_str(block, "name", where)
    arguments = block.get("input", {})
    if not isinstance(arguments, dict):
        fail(f"{where}.input: must be an object")
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
            fail("tools: must be a list")
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
        fail(f"{where}: must be an object")
    kind = tool.get("type")
    if kind not in (None, "custom"):
        fail(f"{where}.type: server tool {kind!r} is not supported; only custom tools are")
    name = nonempty_str(tool, "name", where)
    schema = tool.get("input_schema", EMPTY_SCHEMA)
    if not isinstance(schema, dict):
        fail(f"{where}.input_schema: must be an object")
    function: Json = {"name": name, "parameters": schema}
    description = tool.get("description")
    if description is not None:
        if not isinstance(description, str):
            fail(f"{where}.description: must be a string")
        function["description"] = description
    return {"type": "function", "function": function}


def _tool_choice(choice: object) -> Json:
    if not isinstance(choice, dict):
        fail("tool_choice: must be an object")
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
            "function": {"name": nonempty_str(choice, "name", "tool_choice")},
        }
    else:
        fail(f"tool_choice.type: must be 'auto', 'any', 'tool' or 'none', got {kind!r}")
    out: Json = {"tool_choice": value}
    if choice.get("disable_parallel_tool_use") is True:
        out["parallel_tool_calls"] = False
    return out
