"""Anthropic Messages <-> OpenAI Chat Completions translation, request, response and stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from owlet.providers.anthropic import (
    AnthropicRequestError,
    AnthropicStream,
    encode_event,
    error_body,
    from_openai_response,
    to_openai_request,
)


def request(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "m",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
    }
    body.update(extra)
    return body


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def converted(*messages: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = to_openai_request(request(messages=list(messages)))["messages"]
    return result


# --- request: scalar options -----------------------------------------------------------------


def test_minimal_request() -> None:
    assert to_openai_request(request()) == {
        "model": "m",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_sampling_options_are_mapped() -> None:
    out = to_openai_request(
        request(
            temperature=0.5,
            top_p=0.9,
            top_k=40,
            stop_sequences=["END", "\n\n"],
            metadata={"user_id": "u-1"},
            stream=False,
        )
    )
    assert out["temperature"] == 0.5
    assert out["top_p"] == 0.9
    assert out["stop"] == ["END", "\n\n"]
    assert out["user"] == "u-1"
    assert out["stream"] is False
    assert "top_k" not in out
    assert "stop_sequences" not in out
    assert "metadata" not in out
    assert "stream_options" not in out


def test_stream_asks_for_usage() -> None:
    out = to_openai_request(request(stream=True))
    assert out["stream"] is True
    assert out["stream_options"] == {"include_usage": True}


def test_metadata_without_user_id_sets_no_user() -> None:
    assert "user" not in to_openai_request(request(metadata={}))


def test_max_tokens_is_optional() -> None:
    body = request()
    del body["max_tokens"]
    assert "max_tokens" not in to_openai_request(body)


def test_request_body_is_not_mutated() -> None:
    body = request(
        system=[text("s")],
        messages=[user(text("a"), {"type": "tool_result", "tool_use_id": "t", "content": "r"})],
    )
    snapshot = json.dumps(body, sort_keys=True)
    to_openai_request(body)
    assert json.dumps(body, sort_keys=True) == snapshot


# --- request: system -------------------------------------------------------------------------


def test_system_string_leads() -> None:
    messages = to_openai_request(request(system="be brief"))["messages"]
    assert messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]


def test_system_blocks_join_with_newline() -> None:
    body = request(system=[text("one"), {"type": "text", "text": "two", "cache_control": {}}])
    assert to_openai_request(body)["messages"][0] == {"role": "system", "content": "one\ntwo"}


def test_empty_system_adds_nothing() -> None:
    assert to_openai_request(request(system=""))["messages"][0]["role"] == "user"
    assert to_openai_request(request(system=[]))["messages"][0]["role"] == "user"


# --- request: user content -------------------------------------------------------------------


def test_string_content_stays_string() -> None:
    assert converted({"role": "assistant", "content": "yo"}) == [
        {"role": "assistant", "content": "yo"}
    ]


def test_single_text_block_collapses_to_string() -> None:
    assert converted(user(text("hello"))) == [{"role": "user", "content": "hello"}]


def test_several_text_blocks_stay_parts() -> None:
    assert converted(user(text("a"), text("b"))) == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


def test_base64_image_becomes_data_url() -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "QUJD"},
    }
    assert converted(user(text("what?"), image)) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}},
            ],
        }
    ]


def test_url_image_keeps_url() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}}
    assert converted(user(image)) == [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.jpg"}}],
        }
    ]


def test_tool_results_precede_remaining_user_text() -> None:
    message = user(
        text("and also"),
        {"type": "tool_result", "tool_use_id": "t1", "content": "42"},
        {"type": "tool_result", "tool_use_id": "t2", "content": [text("a"), text("b")]},
    )
    assert converted(message) == [
        {"role": "tool", "tool_call_id": "t1", "content": "42"},
        {"role": "tool", "tool_call_id": "t2", "content": "a\nb"},
        {"role": "user", "content": "and also"},
    ]


def test_tool_results_alone_emit_no_user_message() -> None:
    message = user({"type": "tool_result", "tool_use_id": "t1", "content": "ok", "is_error": True})
    assert converted(message) == [{"role": "tool", "tool_call_id": "t1", "content": "ok"}]


def test_tool_result_without_content_is_empty_text() -> None:
    message = user({"type": "tool_result", "tool_use_id": "t1"})
    assert converted(message) == [{"role": "tool", "tool_call_id": "t1", "content": ""}]


def test_tool_result_images_are_skipped() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}
    message = user({"type": "tool_result", "tool_use_id": "t1", "content": [text("see"), image]})
    assert converted(message) == [{"role": "tool", "tool_call_id": "t1", "content": "see"}]


def test_thinking_blocks_are_dropped_from_user_messages() -> None:
    assert converted(user({"type": "thinking", "thinking": "x", "signature": "s"}, text("q"))) == [
        {"role": "user", "content": "q"}
    ]


# --- request: assistant content --------------------------------------------------------------


def test_assistant_tool_use_becomes_tool_calls() -> None:
    message = assistant(
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "redacted_thinking", "data": "xx"},
        text("Let me check."),
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
        {"type": "tool_use", "id": "toolu_2", "name": "clock", "input": {}},
    )
    [out] = converted(message)
    assert out["role"] == "assistant"
    assert out["content"] == "Let me check."
    assert out["tool_calls"] == [
        {
            "id": "toolu_1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
        },
        {"id": "toolu_2", "type": "function", "function": {"name": "clock", "arguments": "{}"}},
    ]
    assert json.loads(out["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}


def test_assistant_tool_use_without_text_has_null_content() -> None:
    [out] = converted(assistant({"type": "tool_use", "id": "t", "name": "f", "input": {}}))
    assert out["content"] is None
    assert len(out["tool_calls"]) == 1


def test_assistant_text_blocks_join() -> None:
    assert converted(assistant(text("a"), text("b"))) == [{"role": "assistant", "content": "a\nb"}]


def test_assistant_with_only_thinking_has_empty_content() -> None:
    message = assistant({"type": "thinking", "thinking": "x", "signature": "s"})
    assert converted(message) == [{"role": "assistant", "content": ""}]


def test_full_tool_round_trip_order() -> None:
    messages = converted(
        {"role": "user", "content": "weather?"},
        assistant({"type": "tool_use", "id": "t1", "name": "weather", "input": {}}),
        user({"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}),
    )
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[2]["tool_call_id"] == messages[1]["tool_calls"][0]["id"]


# --- request: tools --------------------------------------------------------------------------


WEATHER = {
    "name": "weather",
    "description": "Current weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def test_tools_become_functions() -> None:
    out = to_openai_request(request(tools=[WEATHER, {"name": "bare"}]))
    assert out["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": "Current weather",
                "parameters": WEATHER["input_schema"],
            },
        },
        {
            "type": "function",
            "function": {"name": "bare", "parameters": {"type": "object", "properties": {}}},
        },
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        (
            {"type": "tool", "name": "weather"},
            {"type": "function", "function": {"name": "weather"}},
        ),
    ],
)
def test_tool_choice(choice: dict[str, Any], expected: object) -> None:
    out = to_openai_request(request(tools=[WEATHER], tool_choice=choice))
    assert out["tool_choice"] == expected
    assert "parallel_tool_calls" not in out


def test_disable_parallel_tool_use() -> None:
    choice = {"type": "auto", "disable_parallel_tool_use": True}
    out = to_openai_request(request(tools=[WEATHER], tool_choice=choice))
    assert out["parallel_tool_calls"] is False


def test_tool_choice_without_tools_is_left_out() -> None:
    out = to_openai_request(request(tool_choice={"type": "auto"}))
    assert "tool_choice" not in out
    assert "tools" not in out


# --- request: malformed input ----------------------------------------------------------------


def with_user(*blocks: Any) -> dict[str, Any]:
    return request(messages=[{"role": "user", "content": list(blocks)}])


def with_assistant(*blocks: Any) -> dict[str, Any]:
    return request(messages=[{"role": "assistant", "content": list(blocks)}])


def without(key: str) -> dict[str, Any]:
    body = request()
    del body[key]
    return body


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "JSON object"),
        (without("model"), "model"),
        (request(model=""), "model"),
        (request(model=3), "model"),
        (without("messages"), "messages"),
        (request(messages="hi"), "messages"),
        (request(messages={}), "messages"),
        (request(messages=[]), "messages"),
        (request(max_tokens="64"), "max_tokens"),
        (request(max_tokens=1.5), "max_tokens"),
        (request(max_tokens=True), "max_tokens"),
        (request(max_tokens=0), "max_tokens"),
        (request(temperature="hot"), "temperature"),
        (request(top_p=[1]), "top_p"),
        (request(stream="yes"), "stream"),
        (request(stop_sequences="END"), "stop_sequences"),
        (request(stop_sequences=[1]), "stop_sequences"),
        (request(metadata="x"), "metadata"),
        (request(metadata={"user_id": 5}), "user_id"),
        (request(system=5), "system"),
        (request(system=[{"type": "image"}]), "system[0]"),
        (request(system=[{"text": "no type"}]), "system[0]"),
        (request(messages=["hi"]), "messages[0]"),
        (request(messages=[{"role": "system", "content": "x"}]), "role"),
        (request(messages=[{"role": "user"}]), "content"),
        (request(messages=[{"role": "user", "content": 7}]), "content"),
        (with_user({"type": "video"}), "'video'"),
        (with_user("text"), "content[0]"),
        (with_user({"type": 1}), "content[0]"),
        (with_user({"type": "text"}), "text"),
        (with_user({"type": "text", "text": 3}), "text"),
        (with_user({"type": "image"}), "source"),
        (with_user({"type": "image", "source": {"type": "file"}}), "'file'"),
        (with_user({"type": "image", "source": {"type": "base64"}}), "media_type"),
        (with_user({"type": "image", "source": {"type": "url"}}), "url"),
        (with_user({"type": "tool_result"}), "tool_use_id"),
        (with_user({"type": "tool_result", "tool_use_id": "t", "content": 1}), "content"),
        (
            with_user({"type": "tool_result", "tool_use_id": "t", "content": [{"type": "doc"}]}),
            "'doc'",
        ),
        (with_user({"type": "tool_use", "id": "t", "name": "f"}), "'tool_use'"),
        (with_assistant({"type": "image"}), "'image'"),
        (with_assistant({"type": "tool_result", "tool_use_id": "t"}), "'tool_result'"),
        (with_assistant({"type": "tool_use", "name": "f"}), "id"),
        (with_assistant({"type": "tool_use", "id": "t"}), "name"),
        (with_assistant({"type": "tool_use", "id": "t", "name": "f", "input": []}), "input"),
        (request(tools={"name": "f"}), "tools"),
        (request(tools=["f"]), "tools[0]"),
        (request(tools=[{}]), "name"),
        (request(tools=[{"name": "f", "input_schema": "x"}]), "input_schema"),
        (request(tools=[{"name": "f", "description": 1}]), "description"),
        (request(tools=[{"type": "web_search_20250305", "name": "web_search"}]), "server tool"),
        (request(tool_choice="auto"), "tool_choice"),
        (request(tool_choice={"type": "sometimes"}), "tool_choice"),
        (request(tools=[WEATHER], tool_choice={"type": "tool"}), "name"),
    ],
)  # fmt: skip
def test_malformed_requests(body: Any, fragment: str) -> None:
    with pytest.raises(AnthropicRequestError) as caught:
        to_openai_request(body)
    assert isinstance(caught.value, ValueError)
    assert fragment in str(caught.value)


# --- response ---------------------------------------------------------------------------------


def completion(
    message: dict[str, Any], finish: str | None = "stop", **extra: Any
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }
    response.update(extra)
    return response


def test_text_response() -> None:
    out = from_openai_response(completion({"content": "Hello!"}), "claude-x")
    assert out == {
        "id": "msg_chatcmpl-abc",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 7},
    }


def test_response_id_already_msg_is_kept_and_missing_id_is_generated() -> None:
    assert from_openai_response(completion({"content": "x"}, id="msg_1"), "m")["id"] == "msg_1"
    first = from_openai_response(completion({"content": "x"}, id=None), "m")["id"]
    second = from_openai_response(completion({"content": "x"}, id=None), "m")["id"]
    assert first.startswith("msg_")
    assert first != second


def test_reasoning_becomes_leading_thinking_block() -> None:
    out = from_openai_response(completion({"content": "42", "reasoning_content": "think"}), "m")
    assert out["content"] == [
        {"type": "thinking", "thinking": "think", "signature": ""},
        {"type": "text", "text": "42"},
    ]


def test_tool_calls_become_tool_use_blocks() -> None:
    message = {
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city":"Oslo"}'},
            },
            {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "{oops"}},
            {"id": "call_3", "type": "function", "function": {"name": "g", "arguments": "[1]"}},
        ],
    }
    out = from_openai_response(completion(message, "tool_calls"), "m")
    assert out["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Oslo"}},
        {"type": "tool_use", "id": "call_2", "name": "f", "input": {}},
        {"type": "tool_use", "id": "call_3", "name": "g", "input": {}},
    ]
    assert out["stop_reason"] == "tool_use"


def test_empty_content_gives_no_text_block() -> None:
    assert from_openai_response(completion({"content": ""}), "m")["content"] == []


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("function_call", "tool_use"),
        ("content_filter", "end_turn"),
        (None, "end_turn"),
        ("something_new", "end_turn"),
    ],
)
def test_finish_reason_mapping(finish: str | None, reason: str) -> None:
    out = from_openai_response(completion({"content": "x"}, finish), "m")
    assert out["stop_reason"] == reason


def test_tool_calls_with_stop_finish_still_report_tool_use() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    out = from_openai_response(completion({"content": None, "tool_calls": [call]}, "stop"), "m")
    assert out["stop_reason"] == "tool_use"


def test_missing_usage_and_choices_are_tolerated() -> None:
    out = from_openai_response({"id": "x"}, "m")
    assert out["content"] == []
    assert out["usage"] == {"input_tokens": 0, "output_tokens": 0}
    assert out["stop_reason"] == "end_turn"


# --- stream ----------------------------------------------------------------------------------


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    }


def usage_chunk(prompt: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion_tokens},
    }


def run(stream: AnthropicStream, *chunks: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for piece in chunks:
        events += stream.feed(piece)
    return events + stream.finish()


def names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in events]


def test_text_stream_round_trip() -> None:
    stream = AnthropicStream("claude-x", message_id="msg_fixed")
    first = stream.feed(chunk({"role": "assistant", "content": ""}))
    assert names(first) == ["message_start"]
    assert first[0][1] == {
        "type": "message_start",
        "message": {
            "id": "msg_fixed",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        },
    }
    rest = run(
        stream,
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, "stop"),
        usage_chunk(12, 3),
    )
    assert names(rest) == [
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    data = [d for _, d in rest]
    assert data[0] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    assert data[1] == {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Hel"},
    }
    assert data[2]["delta"]["text"] == "lo"
    assert data[3] == {"type": "content_block_stop", "index": 0}
    assert data[4]["type"] == "message_delta"
    assert data[4]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert data[4]["usage"]["output_tokens"] == 3
    assert data[4]["usage"]["input_tokens"] == 12
    assert data[5] == {"type": "message_stop"}
    for name, payload in first + rest:
        assert payload["type"] == name


def test_streamed_tool_call() -> None:
    call_start = {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_9",
                "type": "function",
                "function": {"name": "weather", "arguments": ""},
            }
        ]
    }
    events = run(
        AnthropicStream("m"),
        chunk({"role": "assistant", "content": "Checking."}),
        chunk(call_start),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        chunk({}, "tool_calls"),
    )
    assert names(events) == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    data = [d for _, d in events]
    assert data[4] == {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "call_9", "name": "weather", "input": {}},
    }
    pieces = [d["delta"] for d in data[5:7]]
    assert all(
        p["type"] == "input_json_delta" and d["index"] == 1
        for p, d in zip(pieces, data[5:7], strict=True)
    )
    assert json.loads("".join(p["partial_json"] for p in pieces)) == {"city": "Oslo"}
    assert data[7] == {"type": "content_block_stop", "index": 1}
    assert data[8]["delta"]["stop_reason"] == "tool_use"


def test_two_streamed_tool_calls_get_their_own_blocks() -> None:
    def call(index: int, call_id: str, args: str) -> dict[str, Any]:
        return {"index": index, "id": call_id, "function": {"name": f"f{index}", "arguments": args}}

    events = run(
        AnthropicStream("m"),
        chunk({"tool_calls": [call(0, "a", '{"x":1}'), call(1, "b", "{}")]}),
        chunk({}, "tool_calls"),
    )
    starts = [d for n, d in events if n == "content_block_start"]
    assert [(s["index"], s["content_block"]["id"]) for s in starts] == [(0, "a"), (1, "b")]
    deltas = [d for n, d in events if n == "content_block_delta"]
    assert [(d["index"], d["delta"]["partial_json"]) for d in deltas] == [(0, '{"x":1}'), (1, "{}")]
    assert names(events).count("content_block_stop") == 2


def test_tool_arguments_before_name_are_held() -> None:
    events = run(
        AnthropicStream("m"),
        chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"name": "late"}}]}),
    )
    start = next(d for n, d in events if n == "content_block_start")
    assert start["content_block"]["name"] == "late"
    assert [d["delta"]["partial_json"] for n, d in events if n == "content_block_delta"] == ["{}"]
    # Tool calls reported with a "stop" finish (or none) still end as tool_use.
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_streamed_thinking_then_text() -> None:
    events = run(
        AnthropicStream("m"),
        chunk({"role": "assistant", "reasoning_content": "Let me "}),
        chunk({"reasoning_content": "think."}),
        chunk({"content": "Answer"}),
        chunk({}, "stop"),
    )
    assert names(events) == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    data = [d for _, d in events]
    assert data[1]["content_block"]["type"] == "thinking"
    assert data[2]["delta"] == {"type": "thinking_delta", "thinking": "Let me "}
    assert data[3]["delta"] == {"type": "thinking_delta", "thinking": "think."}
    assert data[4]["index"] == 0
    assert data[5]["index"] == 1
    assert data[5]["content_block"] == {"type": "text", "text": ""}
    assert data[6]["delta"] == {"type": "text_delta", "text": "Answer"}


def test_reasoning_field_alias_is_streamed_as_thinking() -> None:
    events = run(AnthropicStream("m"), chunk({"reasoning": "hmm"}))
    assert events[1][1]["content_block"]["type"] == "thinking"


def test_stream_length_finish() -> None:
    events = run(AnthropicStream("m"), chunk({"content": "x"}, "length"))
    assert events[-2][1]["delta"]["stop_reason"] == "max_tokens"


def test_usage_on_first_chunk_reaches_message_start() -> None:
    first = {**chunk({"content": "x"}), "usage": {"prompt_tokens": 9, "completion_tokens": 1}}
    events = AnthropicStream("m").feed(first)
    assert events[0][1]["message"]["usage"] == {"input_tokens": 9, "output_tokens": 0}


def test_finish_without_chunks_still_frames_a_message() -> None:
    stream = AnthropicStream("m")
    events = stream.finish()
    assert names(events) == ["message_start", "message_delta", "message_stop"]
    assert events[1][1]["delta"]["stop_reason"] == "end_turn"
    assert events[1][1]["usage"]["output_tokens"] == 0
    assert events[0][1]["message"]["id"].startswith("msg_")


def test_finish_is_idempotent_and_feed_after_finish_is_ignored() -> None:
    stream = AnthropicStream("m")
    stream.feed(chunk({"content": "x"}))
    assert stream.finish()
    assert stream.finish() == []
    assert stream.feed(chunk({"content": "y"})) == []


def test_message_start_is_sent_once() -> None:
    events = run(AnthropicStream("m"), chunk({"content": "a"}), chunk({"content": "b"}))
    assert names(events).count("message_start") == 1


def test_other_choices_and_junk_are_ignored() -> None:
    other = {"choices": [{"index": 1, "delta": {"content": "second"}, "finish_reason": "length"}]}
    events = run(AnthropicStream("m"), other, {"choices": "bad"}, chunk({"content": None}))
    assert names(events) == ["message_start", "message_delta", "message_stop"]
    assert events[1][1]["delta"]["stop_reason"] == "end_turn"


# --- wire helpers ----------------------------------------------------------------------------


def test_encode_event() -> None:
    frame = encode_event("content_block_delta", {"type": "content_block_delta", "text": "é"})
    expected = 'event: content_block_delta\ndata: {"type":"content_block_delta","text":"é"}\n\n'
    assert frame == expected.encode()


def test_error_body() -> None:
    assert error_body("bad") == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "bad"},
    }
    assert error_body("down", "api_error")["error"]["type"] == "api_error"
