"""Chat JSON the way Open WebUI's frontend builds it: a message tree plus the path to the leaf."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.support import bearer


def message(mid: str, parent: str | None, role: str, content: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": mid,
        "parentId": parent,
        "childrenIds": [],
        "role": role,
        "content": content,
        "timestamp": 1_730_000_000,
        **extra,
    }


def build(messages: list[dict[str, Any]], current: str, **extra: Any) -> dict[str, Any]:
    """A chat JSON with `childrenIds` filled in and `messages` = the path to `current`."""
    tree = {m["id"]: copy.deepcopy(m) for m in messages}
    for m in tree.values():
        m["childrenIds"] = []
    for m in tree.values():
        if m["parentId"] is not None:
            tree[m["parentId"]]["childrenIds"].append(m["id"])
    path = []
    node: dict[str, Any] | None = tree[current]
    while node is not None:
        path.append(node)
        node = tree.get(node["parentId"]) if node["parentId"] else None
    path.reverse()
    return {
        "id": "",
        "title": extra.pop("title", "A branchy chat"),
        "models": ["fake-gpt"],
        "params": {"temperature": 0.4},
        "history": {"currentId": current, "messages": tree},
        "messages": path,
        "files": [],
        "tags": [],
        "timestamp": 1_730_000_000_000,
        **extra,
    }


def branchy() -> dict[str, Any]:
    """A question answered twice (a regenerated answer), then a follow-up on the second."""
    return build(
        [
            message("u1", None, "user", "What is the tallest mountain?", models=["fake-gpt"]),
            message("a1", "u1", "assistant", "K2, I think.", model="fake-gpt", done=True),
            message(
                "a2",
                "u1",
                "assistant",
                "Mount Everest.",
                model="fake-gpt",
                done=True,
                usage={"total_tokens": 9},
                x_unknown={"kept": [1, 2, 3]},
            ),  # fmt: skip
            message("u2", "a2", "user", "How tall is it?", files=[{"type": "file", "id": "f"}]),
            message("a3", "u2", "assistant", "8,849 metres.", model="fake-gpt", done=True),
        ],
        "a3",
        x_client_state={"sidebar": "open"},
    )


async def new_chat(
    client: httpx.AsyncClient, token: str, chat: dict[str, Any] | None = None, **form: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/chats/new", headers=bearer(token), json={"chat": chat or branchy(), **form}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def authored(chat: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
    """`chat` as stored for `who` (a signup answer): Open WebUI 0.12.4 signs every message
    with `user_id`, and the person's own turns with `user: {id, name}`."""
    out = copy.deepcopy(chat)
    lists = [list(out.get("history", {}).get("messages", {}).values()), out.get("messages", [])]
    for message_ in (m for group in lists for m in group):
        message_.setdefault("user_id", who["id"])
        if message_.get("role") == "user":
            message_.setdefault("user", {"id": who["id"], "name": who["name"]})
    return out


def as_read(chat: dict[str, Any]) -> dict[str, Any]:
    """A chat JSON as GET /chats/{id} answers it (it adds `share_mode`)."""
    return {**chat, "share_mode": "continue"}
