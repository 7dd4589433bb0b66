"""Helpers of the real-time tests: a real server with a fake upstream, sockets, events."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import socketio

from tests.fakes.upstream import FakeUpstream
from tests.support import PASSWORD

TOKENS = ["Light", "houses", " guide", " ships", " home", "."]


class Site:
    def __init__(self, base: str, up: FakeUpstream) -> None:
        self.base, self.up = base, up
        self.http = httpx.AsyncClient(base_url=base, timeout=30)

    async def account(self, name: str) -> dict[str, Any]:
        """Sign up the first account: the admin."""
        email = f"{name.lower()}@example.com"
        reply = await self.http.post(
            "/api/v1/auths/signup", json={"name": name, "email": email, "password": PASSWORD}
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    def auth(self, who: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {who['token']}"}

    async def socket(self, token: str) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
        client = socketio.AsyncClient(reconnection=False)
        events: list[dict[str, Any]] = []
        client.on("events", events.append)
        await client.connect(self.base, socketio_path="/ws/socket.io", auth={"token": token},
                             transports=["websocket"])  # fmt: skip
        await client.call("user-join", {"auth": {"token": token}})  # as the web client does
        return client, events

    async def new_chat(self, who: dict[str, Any], model: str) -> str:
        chat = {"title": "New Chat", "models": [model], "messages": [],
                "history": {"messages": {}, "currentId": None}}  # fmt: skip
        reply = await self.http.post("/api/v1/chats/new", headers=self.auth(who),
                                     json={"chat": chat})  # fmt: skip
        assert reply.status_code == 200, reply.text
        return str(reply.json()["id"])

    async def ask(
        self, who: dict[str, Any], sid: str, chat_id: str, model: str,
        question: str = "Tell me about lighthouses.", after: str | None = None, **extra: Any,
    ) -> tuple[httpx.Response, str]:  # fmt: skip
        """As the 0.12.4 web client asks: the new user message (a reply to `after`, the
        previous answer) and no history of its own."""
        user_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
        user_message = {"id": user_id, "parentId": after, "childrenIds": [answer_id],
                        "role": "user", "content": question,
                        "timestamp": 1, "models": [model]}  # fmt: skip
        body = {"model": model, "stream": True, "session_id": sid, "chat_id": chat_id,
                "id": answer_id, "parent_id": after, "user_message": user_message,
                "model_item": {"id": model}, "features": {}, "params": {}, "variables": {},
                "files": [], "tool_ids": [],
                "background_tasks": {"title_generation": True}, **extra}  # fmt: skip
        reply = await self.http.post("/api/chat/completions", headers=self.auth(who), json=body)
        return reply, answer_id


async def until_done(events: list[dict[str, Any]], seconds: float = 60) -> None:
    """Wait for the done event and the `chat:active` false that closes every generation
    (it is sent after the done event, so it may arrive a moment later). A bound, not a
    speed check: on a loaded 2-core CI machine a local-model answer's final save once took
    longer than 20 s."""
    for _ in range(int(seconds / 0.02)):
        if _closed_after_done(events):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no done event followed by chat:active false: {events}")


def _closed_after_done(events: list[dict[str, Any]]) -> bool:
    """A done event, and after it (not from an earlier generation) the closing false."""
    done = [i for i, e in enumerate(events)
            if kind_of(e) == "chat:completion" and payload_of(e).get("done")]  # fmt: skip
    return bool(done) and any(
        kind_of(e) == "chat:active" and payload_of(e).get("active") is False
        for e in events[done[-1] + 1 :]
    )


def kind_of(event: dict[str, Any]) -> str:
    return str(event["data"]["type"])


def payload_of(event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]["data"]
    return data if isinstance(data, dict) else {}


def rebuilt(events: list[dict[str, Any]]) -> str:
    text = ""
    for event in events:
        if kind_of(event) == "chat:completion":
            for choice in payload_of(event).get("choices") or []:
                text += choice.get("delta", {}).get("content") or ""
    return text


async def eventually(check: Any, seconds: float = 5.0) -> None:
    """Wait until `check()` is true (events arrive on their own schedule)."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {seconds} s: {check}")


def cancelled(events: list[dict[str, Any]]) -> bool:
    return "chat:tasks:cancel" in [kind_of(e) for e in events]
