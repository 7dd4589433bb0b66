"""The Socket.IO half of the differential test: one web-client style generation.

Signs the admin in, joins over Socket.IO as the 0.12.4 web client does, asks for a streamed
answer into a stored chat with the socket's session id, and collects the `events` the server
emits for it. Each event `type` is reduced to the shape of its `data` (merged over all events
of that type); the envelope (`chat_id`, `message_id`, `data.type`) is one more entry.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import socketio

from tests.compat.sequence import ADMIN, OPENAI_MODEL
from tests.compat.shapes import Shape, merge, shape

ENVELOPE = "<envelope>"


async def socket_shapes(base: str, seconds: float = 20.0) -> dict[str, Shape]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        signin = await http.post(
            "/api/v1/auths/signin", json={"email": ADMIN["email"], "password": ADMIN["password"]}
        )
        signin.raise_for_status()
        token = signin.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        events: list[dict[str, Any]] = []
        done = asyncio.Event()

        def on_event(event: dict[str, Any]) -> None:
            events.append(event)
            data = event.get("data") if isinstance(event, dict) else None
            inner = data.get("data") if isinstance(data, dict) else None
            if isinstance(inner, dict) and inner.get("done") is True:
                done.set()

        sio = socketio.AsyncClient(reconnection=False)
        sio.on("events", on_event)
        await sio.connect(base, socketio_path="/ws/socket.io", auth={"token": token},
                          transports=["websocket"])  # fmt: skip
        try:
            await sio.call("user-join", {"auth": {"token": token}})
            chat = {"title": "New Chat", "models": [OPENAI_MODEL], "messages": [],
                    "history": {"messages": {}, "currentId": None}}  # fmt: skip
            made = await http.post("/api/v1/chats/new", headers=headers, json={"chat": chat})
            made.raise_for_status()
            user_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
            question = {"id": user_id, "parentId": None, "childrenIds": [answer_id],
                        "role": "user", "content": "Tell me about owls.", "timestamp": 1,
                        "models": [OPENAI_MODEL]}  # fmt: skip
            body = {"model": OPENAI_MODEL, "stream": True, "session_id": sio.get_sid("/"),
                    "chat_id": made.json()["id"], "id": answer_id, "parent_id": None,
                    "user_message": question, "model_item": {"id": OPENAI_MODEL},
                    "messages": [{"role": "user", "content": "Tell me about owls."}],
                    "features": {}, "params": {}, "variables": {}, "files": [],
                    "tool_ids": [], "background_tasks": {"title_generation": True,
                                                         "tags_generation": True}}  # fmt: skip
            asked = await http.post("/api/chat/completions", headers=headers, json=body)
            asked.raise_for_status()
            await asyncio.wait_for(done.wait(), seconds)
            await asyncio.sleep(2.0)  # the title and tags follow the answer
        finally:
            await sio.disconnect()
    return reduce(events)


def reduce(events: list[dict[str, Any]]) -> dict[str, Shape]:
    out: dict[str, Shape] = {}
    for event in events:
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict):
            continue
        kind = str(data.get("type"))
        envelope = shape({**event, "data": {k: v for k, v in data.items() if k != "data"}})
        out[ENVELOPE] = merge(out[ENVELOPE], envelope) if ENVELOPE in out else envelope
        inner = shape(data.get("data"))
        out[kind] = merge(out[kind], inner) if kind in out else inner
    return out
