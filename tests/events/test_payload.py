"""The event envelope's rules that no HTTP test reaches: credentials left out, long strings
cut, and the text form Slack, Google Chat and Discord webhooks are sent instead."""

from __future__ import annotations

import pytest

from owlet.events.payload import body_for, envelope


def test_credentials_are_left_out_and_long_strings_cut() -> None:
    event = envelope("user.updated", "i1", data={
        "password": "p", "api_key": "k", "nested": {"refresh_token": "t", "ok": "x" * 1200},
        "list": [{"Client-Secret": "s", "kept": 1}],
    })  # fmt: skip
    assert event["data"] == {"nested": {"ok": "x" * 1000 + "..."}, "list": [{"kept": 1}]}
    assert event["subject"] is None and event["actor"] is None
    assert event["instance_id"] == "i1" and event["source"] == "api"


def test_an_unknown_event_name_is_a_mistake_in_owlet() -> None:
    with pytest.raises(ValueError, match="Unknown event: chat.exploded"):
        envelope("chat.exploded", None)


def test_chat_services_get_text() -> None:
    event = envelope("chat.deleted", None, subject_id="c1")
    text = "Chat deleted (c1)\nSent on: chat deleted.\nEvent: chat.deleted"
    assert body_for("https://hooks.slack.com/services/x", event) == {"text": text}
    assert body_for("https://chat.googleapis.com/v1/spaces/x", event) == {"text": text}
    assert body_for("https://discord.com/api/webhooks/1/x", event) == {"content": text}
    assert body_for("https://example.com/hook", event) is event
    long = envelope("chat.finished", None, message="m" * 3000)
    content = body_for("https://discord.com/api/webhooks/1/x", long)["content"]
    assert len(content) == 2000 and content.endswith("... (truncated)")
