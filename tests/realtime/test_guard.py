"""Hostile Socket.IO payloads on a real `owlet serve` (realtime/guard.py): deep, oversize and
malformed packets get a `{"detail"}` answer (the ack, or an `error` event) and the
connection keeps working, over WebSocket and long-polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import socketio

from owlet.core.bodies import too_deep, too_large
from owlet.realtime.guard import MALFORMED, NOT_AN_EVENT
from tests.gateway import owlet_process
from tests.realtime.support import Site, eventually
from tests.support import Backend

LIMIT = 300_000  # MAX_REQUEST_BODY_SIZE of this server: a 100,000-deep payload fits


def nested(depth: int) -> Any:
    """A dict whose "x" nests lists so the event's argument is `depth` levels deep."""
    return {"x": json.loads("[" * (depth - 1) + "]" * (depth - 1))}


@pytest_asyncio.fixture
async def guarded(backend: Backend, clean_db: object, tmp_path: Path) -> AsyncIterator[Site]:
    env = {"MAX_REQUEST_BODY_SIZE": str(LIMIT)}
    with owlet_process(backend, tmp_path / "data", env) as base:
        site = Site(base, None)  # type: ignore[arg-type]
        yield site
        await site.http.aclose()


async def healthy(client: socketio.AsyncClient, who: dict[str, Any]) -> None:
    ack = await client.call("user-join", {"auth": {"token": who["token"]}}, timeout=10)
    assert ack == {"id": who["id"], "name": who["name"]}


def raw_event(name: str, argument: str, ack_id: int | None = None) -> str:
    """A Socket.IO EVENT packet written by hand (so its JSON may nest any depth)."""
    return f"2{'' if ack_id is None else ack_id}[{json.dumps(name)},{argument}]"


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_hostile_events_are_answered_and_the_socket_lives_on(
    guarded: Site, transport: str
) -> None:
    ada = await guarded.account("Ada")
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("error", errors.append)
    await client.connect(guarded.base, socketio_path="/ws/socket.io",
                         auth={"token": ada["token"]}, transports=[transport])  # fmt: skip
    try:
        await healthy(client, ada)
        # Deep payloads, with an ack: the ack is the refusal.
        for depth in (33, 300):
            assert await client.call("usage", nested(depth), timeout=10) == {"detail": too_deep()}
        # Deeper than the client's own JSON encoder goes: packets written by hand.
        for ack_id, depth in ((901, 900), (902, 100_000)):
            deep = "[" * depth + "]" * depth
            waiter = asyncio.get_running_loop().create_future()
            # The client's own table of awaited acks (its encoder would not go this deep).
            client.callbacks.setdefault("/", {})[ack_id] = lambda *a, f=waiter: f.set_result(a)
            await client.eio.send(raw_event("usage", deep, ack_id))
            assert await asyncio.wait_for(waiter, 10) == ({"detail": too_deep()},)
        # Oversize, with an ack, then without one: an `error` event says why.
        big = {"model": "x" * (LIMIT + 10)}
        assert await client.call("usage", big, timeout=10) == {"detail": too_large(LIMIT)}
        await client.emit("usage", big)
        await client.emit("events:chat", nested(60))
        await client.eio.send("2" + "[" * 100_000)  # malformed and deep
        await client.eio.send("[" * 100_000)  # not a Socket.IO packet at all
        await client.eio.send('2"not a list"')
        await eventually(lambda: len(errors) >= 5)
        assert errors == [
            {"detail": too_large(LIMIT)},
            {"detail": too_deep()},
            {"detail": too_deep()},
            {"detail": MALFORMED},
            {"detail": NOT_AN_EVENT},
        ]
        await healthy(client, ada)
    finally:
        await client.disconnect()
