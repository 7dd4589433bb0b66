"""Hostile Socket.IO input stopped where packets are decoded, with the HTTP body rules.

Every packet a client sends is decoded by `GuardedPacket`: a payload over the request body
limit, nested deeper than `MAX_JSON_DEPTH`, malformed, or an event that is not a named list
is never parsed into the handlers. It becomes the internal `REFUSED` event, whose handler
answers `{"detail": ...}`: as the event's ack when the client asked for one, otherwise as
an `error` event to that socket. The connection stays open; a refused CONNECT packet
connects without credentials (so the socket receives nothing).

Engine.IO decodes the JSON of its own non-Socket.IO message packets with its module-wide
`json`; `guard_engineio` gives it a loader that refuses deep nesting, which would
otherwise recurse to a RecursionError and drop the connection.
"""

from __future__ import annotations

import json
from typing import Any

import engineio.packet
import socketio
from socketio import packet as sio_packet

from owlet.core.bodies import nesting_exceeds, too_deep, too_large

REFUSED = "owlet:refused"
NOT_AN_EVENT = "An event must be a list whose first item is the event's name."
MALFORMED = "The packet is malformed."
_FROM_CLIENTS = {sio_packet.CONNECT, sio_packet.DISCONNECT, sio_packet.EVENT, sio_packet.ACK,
                 sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK}  # fmt: skip


class Refused(ValueError):
    """A payload the guard will not parse (engine.io treats a ValueError as plain text)."""


class _Json:
    """A `json` module for packets: `loads` refuses what the body guard refuses."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes

    def loads(self, text: str | bytes, **kwargs: Any) -> Any:
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        if self.max_bytes is not None and len(data) > self.max_bytes:
            raise Refused(too_large(self.max_bytes))
        if nesting_exceeds(data):
            raise Refused(too_deep())
        return json.loads(text, **kwargs)

    def dumps(self, value: Any, **kwargs: Any) -> str:
        return json.dumps(value, **kwargs)


def guard_engineio() -> None:
    """Engine.IO's packet JSON refuses deep nesting (process-wide: Engine.IO has no other
    hook; its clients in the same process only ever see shallow JSON)."""
    if not isinstance(engineio.packet.Packet.json, _Json):
        engineio.packet.Packet.json = _Json(None)


class GuardedPacket(sio_packet.Packet):
    json = _Json(None)

    def decode(self, encoded_packet: Any) -> int:
        try:
            count = int(super().decode(encoded_packet) or 0)
        except Refused as refused:
            return self._refuse(str(refused))
        except (ValueError, TypeError, IndexError):
            return self._refuse(MALFORMED)
        if self.packet_type not in _FROM_CLIENTS:
            return self._refuse(MALFORMED)
        if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            data = self.data
            if not (isinstance(data, list) and data and isinstance(data[0], str)):
                return self._refuse(NOT_AN_EVENT)
            if data[0] == REFUSED:
                return self._refuse(NOT_AN_EVENT)  # a client may not raise the guard's event
        return count

    def _refuse(self, detail: str) -> int:
        kind = getattr(self, "packet_type", None)  # set by decode (untyped base)
        if kind == sio_packet.CONNECT:
            self.data = None  # connect without credentials
        elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK):
            self.packet_type, self.data = sio_packet.ACK, []
        else:
            self.packet_type = sio_packet.EVENT
            self.data = [REFUSED, {"detail": detail, "ack": self.id is not None}]
        return 0


def packet_class(max_bytes: int) -> type[GuardedPacket]:
    """A GuardedPacket whose payloads are limited to `max_bytes` (per server: each app has
    its own settings)."""
    return type("GuardedPacket", (GuardedPacket,), {"json": _Json(max_bytes)})


def install(sio: socketio.AsyncServer) -> None:
    """The handler of refused packets."""

    @sio.on(REFUSED)
    async def refused(sid: str, refusal: dict[str, Any]) -> dict[str, Any] | None:
        answer = {"detail": refusal["detail"]}
        if refusal["ack"]:
            return answer
        await sio.emit("error", answer, to=sid)
        return None
