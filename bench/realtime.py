"""UI-mode answers over Socket.IO on a real `owlet serve` (SQLite, one worker), with the fake
upstream streaming in this process and the official python-socketio client:

* the added delay of the first `chat:completion` delta over the upstream's own first token
  (the same request sent straight to the fake), p50/p99;
* the gap between events p99, with 1 and with 100 generations at once;
* bytes of events for a 2,000-token answer against the answer's own bytes, as JSON and as
  permessage-deflate would send it (zlib with context takeover, a sync flush per message);
* 1,000 idle sockets: the server's RSS they add, and `heartbeat` round trips p99;
* database transactions per answer (PostgreSQL's `xact_commit`), 200 vs 2,000 tokens.

    .venv/bin/python bench/realtime.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import pct, rss_mib, signed_in_server  # noqa: E402

from tests.fakes.upstream import FakeUpstream  # noqa: E402

MODEL = "fake-gpt"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class StampedUpstream(FakeUpstream):
    """The fake, noting when it wrote the first token of each stream (same process and
    clock as the sockets, so the two can be subtracted)."""

    def __init__(self) -> None:
        super().__init__(models=[MODEL])
        self.first_tokens: list[float] = []

    async def _emit(self, call: Any, frames: list[Any]) -> Any:  # type: ignore[override]
        first = next((i for i, f in enumerate(frames) if isinstance(f, dict)
                      and ((f.get("choices") or [{}])[0].get("delta") or {}).get("content")),
                     None)  # fmt: skip
        index = 0
        async for chunk in super()._emit(call, frames):
            if index == first:
                self.first_tokens.append(time.perf_counter())
            index += 1
            yield chunk


class Tab:
    """One browser tab: a socket, and the events it heard with their arrival times."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.by_message: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.done: set[str] = set()
        self.client.on("events", self._heard)

    def _heard(self, data: dict[str, Any]) -> None:
        stamped = (time.perf_counter(), data)
        self.events.append(stamped)
        message_id = str(data.get("message_id"))
        self.by_message.setdefault(message_id, []).append(stamped)
        payload = data["data"]["data"]
        if isinstance(payload, dict) and payload.get("done"):
            self.done.add(message_id)

    async def open(self, base: str, token: str) -> Tab:
        await self.client.connect(base, socketio_path="/ws/socket.io", auth={"token": token},
                                  transports=["websocket"])  # fmt: skip
        await self.client.call("user-join", {"auth": {"token": token}})
        return self

    def of(self, message_id: str) -> list[tuple[float, dict[str, Any]]]:
        return self.by_message.get(message_id, [])


def text_of(event: dict[str, Any]) -> str:
    data = event["data"]["data"]
    choices = data.get("choices") if isinstance(data, dict) else None
    return "".join((c.get("delta") or {}).get("content") or "" for c in choices or [])


async def ask(http: httpx.AsyncClient, headers: dict[str, str], sid: str) -> tuple[float, str]:
    """A new chat's first message in UI mode; (when it was sent, the answer's message id)."""
    user_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
    question = "Tell me a story."
    user_message = {"id": user_id, "parentId": None, "childrenIds": [answer_id],
                    "role": "user", "content": question, "timestamp": 1}  # fmt: skip
    body = {"model": MODEL, "stream": True, "session_id": sid, "parent_id": None,
            "id": answer_id, "messages": [{"role": "user", "content": question}],
            "user_message": user_message}  # fmt: skip
    sent = time.perf_counter()
    reply = await http.post("/api/chat/completions", headers=headers, json=body)
    reply.raise_for_status()
    return sent, answer_id


async def finished(tab: Tab, answer_id: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while answer_id not in tab.done:
        if time.monotonic() > deadline:
            raise SystemExit(f"answer {answer_id} did not finish")
        await asyncio.sleep(0.01)


async def first_event_delay(base: str, headers: dict[str, str], token: str,
                            up: StampedUpstream, runs: int) -> dict[str, float]:  # fmt: skip
    """From the fake writing its first token to the socket hearing it."""
    up.tokens, up.token_delay = ["a", " b", " c"], 0.0
    tab = await Tab().open(base, token)
    added = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for _ in range(runs):
            up.first_tokens.clear()
            _, answer_id = await ask(http, headers, tab.client.get_sid())
            await finished(tab, answer_id)
            heard = next(t for t, e in tab.of(answer_id) if text_of(e))
            added.append(heard - up.first_tokens[0])
    await tab.client.disconnect()
    return {"p50_ms": round(pct(added, 50) * 1000, 2), "p99_ms": round(pct(added, 99) * 1000, 2)}


async def gaps(base: str, headers: dict[str, str], token: str, up: FakeUpstream, width: int,
               tokens: int) -> dict[str, float]:  # fmt: skip
    up.tokens, up.token_delay = [f" w{n}" for n in range(tokens)], 0.02
    tab = await Tab().open(base, token)
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        asked = await asyncio.gather(*(ask(http, headers, tab.client.get_sid())
                                       for _ in range(width)))  # fmt: skip
        await asyncio.gather(*(finished(tab, answer_id) for _, answer_id in asked))
    between = []
    for _, answer_id in asked:
        stamps = [t for t, e in tab.of(answer_id) if text_of(e)]
        between += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    await tab.client.disconnect()
    return {"generations": width, "gap_p50_ms": round(pct(between, 50) * 1000, 1),
            "gap_p99_ms": round(pct(between, 99) * 1000, 1)}  # fmt: skip


async def wire_bytes(base: str, headers: dict[str, str], token: str, up: FakeUpstream,
                     delay: float) -> dict[str, Any]:  # fmt: skip
    up.tokens, up.token_delay = [f" word{n % 10}" for n in range(2000)], delay
    tab = await Tab().open(base, token)
    async with httpx.AsyncClient(base_url=base, timeout=300) as http:
        _, answer_id = await ask(http, headers, tab.client.get_sid())
        await finished(tab, answer_id)
    events = [e for _, e in tab.of(answer_id)]
    await tab.client.disconnect()
    answer = "".join(text_of(e) for e in events)
    packets = [("42" + json.dumps(["events", e], separators=(",", ":"))).encode() for e in events]
    deflate = zlib.compressobj(wbits=-15)
    compressed = sum(len(deflate.compress(p) + deflate.flush(zlib.Z_SYNC_FLUSH)) for p in packets)
    own = len(answer.encode())
    return {"token_delay_ms": delay * 1000, "events": len(events), "answer_bytes": own,
            "event_bytes": sum(map(len, packets)),
            "ratio_json": round(sum(map(len, packets)) / own, 2),
            "ratio_deflate": round(compressed / own, 2)}  # fmt: skip


async def idle_sockets(base: str, token: str, pid: int, count: int) -> dict[str, float]:
    before = rss_mib(pid)
    tabs = []
    for start in range(0, count, 50):
        tabs += await asyncio.gather(*(Tab().open(base, token) for _ in range(start, start + 50)))
    await asyncio.sleep(1)
    after = rss_mib(pid)
    rounds = []
    for tab in tabs[:: max(1, count // 200)]:
        started = time.perf_counter()
        await tab.client.call("heartbeat", {})
        rounds.append(time.perf_counter() - started)
    await asyncio.gather(*(tab.client.disconnect() for tab in tabs))
    return {"sockets": count, "rss_added_mib": round(after - before, 1),
            "heartbeat_p50_ms": round(pct(rounds, 50) * 1000, 2),
            "heartbeat_p99_ms": round(pct(rounds, 99) * 1000, 2)}  # fmt: skip


async def commits(up: StampedUpstream) -> dict[str, int]:
    """Transactions per answer on PostgreSQL (`xact_commit` of the server's database)."""
    import asyncpg

    name = f"owlet_bench_rt_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    result = {}
    try:
        settings = {**_fake(up), "DATABASE_URL": url}
        with signed_in_server("owlet-bench-rt-pg-", settings) as (base, _proc, headers):
            token = headers["Authorization"].removeprefix("Bearer ")
            tab = await Tab().open(base, token)
            async with httpx.AsyncClient(base_url=base, timeout=300) as http:
                await asyncio.sleep(11)  # idle backends report their counters within 10 s
                for tokens, delay in ((200, 0.0), (2000, 0.0), (2000, 0.005)):
                    up.tokens, up.token_delay = [f" w{n}" for n in range(tokens)], delay
                    start = await _xacts(admin, name)
                    _, answer_id = await ask(http, headers, tab.client.get_sid())
                    await finished(tab, answer_id)
                    await asyncio.sleep(11)
                    key = f"{tokens}_tokens_in_{tokens * delay:.0f}_s"
                    result[key] = await _xacts(admin, name) - start
            await tab.client.disconnect()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return result


async def _xacts(admin: Any, name: str) -> int:
    await admin.execute("SELECT pg_stat_clear_snapshot()")
    row = await admin.fetchrow("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", name)
    return int(row["xact_commit"])


def _fake(up: FakeUpstream) -> dict[str, str]:
    return {"ENABLE_OPENAI_API": "true", "OPENAI_API_BASE_URLS": up.openai_url,
            "OPENAI_API_KEYS": "sk-x", "ENABLE_LOCAL_MODELS": "false"}  # fmt: skip


def progress(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    quick = args.quick
    with StampedUpstream() as up:
        with signed_in_server("owlet-bench-rt-", _fake(up)) as (base, proc, headers):
            token = headers["Authorization"].removeprefix("Bearer ")
            progress("first event delay")
            results["first_event_added"] = await first_event_delay(
                base, headers, token, up, 10 if quick else 50
            )
            progress("gaps at 1 generation")
            results["gaps_1"] = await gaps(base, headers, token, up, 1, 100)
            progress("gaps at 100 generations")
            width = 20 if quick else 100
            results["gaps_100"] = await gaps(base, headers, token, up, width, 100)
            progress("bytes of a 2,000-token answer")
            results["bytes_2000_tokens"] = [
                await wire_bytes(base, headers, token, up, delay) for delay in (0.0, 0.005, 0.02)
            ]
            progress("idle sockets")
            results["idle_sockets"] = await idle_sockets(
                base, token, proc.pid, 200 if quick else 1000
            )
        progress("database commits per answer")
        results["db_commits_per_answer"] = await commits(up)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
