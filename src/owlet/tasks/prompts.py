"""The default prompts of the auxiliary tasks, and how a template is filled in.

A template may hold `{{MESSAGES}}` (the whole exchange) or `{{MESSAGES:END:N}}` (its last N
messages); without either, the exchange is appended after the instruction.
"""

from __future__ import annotations

import re
from typing import Any, Literal

Kind = Literal["title", "tags", "follow_up"]

DEFAULTS: dict[Kind, str] = {
    "title": (
        "Give the conversation below a concise title of 3-5 words that sums up its subject, "
        "in the conversation's language. "
        'Answer only with JSON: {"title": "..."}\n\n<chat_history>\n{{MESSAGES:END:2}}\n'
        "</chat_history>"
    ),
    "tags": (
        "Give the conversation below 1-3 broad tags for its subject areas. "
        'Answer only with JSON: {"tags": ["..."]}\n\n<chat_history>\n{{MESSAGES:END:6}}\n'
        "</chat_history>"
    ),
    "follow_up": (
        "Suggest 3 short questions the user might ask next about the conversation below, "
        'in its language. Answer only with JSON: {"follow_ups": ["..."]}\n\n'
        "<chat_history>\n{{MESSAGES:END:6}}\n</chat_history>"
    ),
}
_MESSAGES = re.compile(r"\{\{MESSAGES(?::END:(\d+))?\}\}")
MAX_CHARS = 8000  # of the exchange put into a prompt


def transcript(messages: list[dict[str, Any]]) -> str:
    lines = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):  # parts: the text ones
            content = " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
        if isinstance(content, str) and content.strip():
            lines.append(f"{str(message.get('role') or 'user').upper()}: {content.strip()}")
    return "\n".join(lines)[-MAX_CHARS:]


def render(template: str, messages: list[dict[str, Any]]) -> str:
    def messages_of(match: re.Match[str]) -> str:
        last = int(match.group(1)) if match.group(1) else None
        return transcript(messages[-last:] if last else messages)

    if _MESSAGES.search(template):
        return _MESSAGES.sub(messages_of, template)
    return f"{template}\n\n<chat_history>\n{transcript(messages)}\n</chat_history>"
