"""The OpenAI body rules of reference §1.7 steps 5 and 7, as pure functions."""

from __future__ import annotations

from owlet.providers.openai_shape import chat_body, completion_as_chunks, is_reasoning_model

OPENAI = "https://api.openai.com/v1"
OTHER = "http://127.0.0.1:9/v1"


def test_reasoning_models_are_recognised() -> None:
    for model in ("o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5.1-codex", "openai/o3"):
        assert is_reasoning_model(model), model
    for model in ("gpt-4o", "gpt-4.1", "llama3", "omni", "gpt-3.5-turbo"):
        assert not is_reasoning_model(model), model


def test_reasoning_body() -> None:
    body = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]}
    sent = chat_body({**body, "max_tokens": 9}, "o3-mini", OPENAI)
    assert sent["max_completion_tokens"] == 9 and "max_tokens" not in sent
    assert sent["messages"][0] == {"role": "developer", "content": "s"}
    assert chat_body(body, "o1-mini", OPENAI)["messages"][0]["role"] == "user"
    assert body["messages"][0]["role"] == "system"  # the caller's body is not changed


def test_other_hosts_get_max_tokens_and_tool_text_joined() -> None:
    tool = {
        "role": "tool",
        "tool_call_id": "c",
        "content": [{"type": "text", "text": "4"}, {"type": "text", "text": "2"}],
    }
    sent = chat_body(
        {"max_completion_tokens": 5, "messages": [tool], "stream_options": {}}, "gpt-4o", OTHER
    )
    assert sent["max_tokens"] == 5 and "max_completion_tokens" not in sent
    assert sent["messages"][0]["content"] == "42" and "stream_options" not in sent
    kept = chat_body(
        {"max_completion_tokens": 5, "stream": True, "stream_options": {}}, "gpt-4o", OPENAI
    )
    assert kept["max_completion_tokens"] == 5 and "stream_options" in kept


def test_a_whole_completion_as_chunks() -> None:
    completion = {
        "id": "c1",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
        ],
        "usage": {"total_tokens": 3},
    }
    chunks = completion_as_chunks(completion)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "hi"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["usage"]
    assert completion_as_chunks([1]) == []
