"""Chats at scale: list, search, open and append against a big seeded database.

Seeds one user with 10,000 chats of 100 messages (plus 100,000 two-message chats spread over
other users, plus one 10-message and one 10,000-message chat), starts `owlet serve` on that
database, and reports p50/p95 of, through HTTP, one request at a time:

* the sidebar list (`GET /api/v1/chats/?page=1`),
* a search for a word in message bodies (`GET /api/v1/chats/search?text=…`),
* opening one 100-message chat (`GET /api/v1/chats/{id}`),
* appending a message to a 10-message and to a 10,000-message chat, two ways:
  a completion that saves itself (`POST /api/chat/completions` with `chat_id` + `id`,
  against the fake upstream), and a partial chat update (`POST /api/v1/chats/{id}` with one
  new message; its response carries the whole chat, as Open WebUI's does).

    .venv/bin/python bench/chats.py [--quick] [--database-url postgresql://…]

`--quick` seeds a tenth of the data. A PostgreSQL URL names a server; the bench creates and
drops its own database there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import OWLET, FakeProcess, free_port, pct, wait_healthy  # noqa: E402

WORDS = (
    "river stone lantern orbit maple quartz harbor violet ember canyon meadow signal cobalt "
    "willow prism falcon tundra velvet copper glacier"
).split()
RARE = "zanzibar"  # in one message of every hundredth chat: what the search looks for


def text(seed: int, length: int = 16) -> str:
    words = [WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(length)]
    if seed % 10_000 == 0:
        words[3] = RARE
    return " ".join(words)


def chat_rows(
    user_id: str, chat_id: str, n_messages: int, stamp: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    messages = []
    parent = None
    for i in range(n_messages):
        mid = f"{chat_id[:8]}-{i}"
        role = "user" if i % 2 == 0 else "assistant"
        content = text(seed * 131 + i)
        data = {"id": mid, "parentId": parent, "role": role, "content": content,
                "timestamp": stamp}  # fmt: skip
        if role == "assistant":
            data.update(model="fake-gpt", done=True)
        messages.append({
            "chat_id": chat_id, "id": mid, "parent_id": parent, "role": role,
            "content": content, "data": data, "seq": i + 1, "created_at": stamp,
            "updated_at": stamp,
        })  # fmt: skip
        parent = mid
    doc = {
        "id": "", "title": f"chat {seed}", "models": ["fake-gpt"], "params": {},
        "history": {"currentId": parent}, "files": [], "tags": [], "timestamp": stamp * 1000,
    }  # fmt: skip
    chat = {
        "id": chat_id, "user_id": user_id, "title": f"chat {seed}", "doc": doc,
        "linear": "path", "meta": {}, "archived": False, "pinned": False,
        "message_seq": n_messages,
        "created_at": stamp, "updated_at": stamp,
    }  # fmt: skip
    return chat, messages


async def seed(database_url: str, user_id: str, scale: float) -> dict[str, str]:
    from sqlalchemy import insert

    from owlet.db.engine import create_engine
    from owlet.settings import Settings
    from owlet.tables import Chat, ChatMessage

    engine = create_engine(Settings(database_url=database_url, data_dir=Path("/tmp")))
    stamp = int(time.time()) - 86_400
    chats: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []

    async def flush(force: bool = False) -> None:
        if len(messages) < 20_000 and not force:
            return
        async with engine.begin() as conn:
            if chats:
                await conn.execute(insert(Chat.__table__), chats)
            if messages:
                await conn.execute(insert(ChatMessage.__table__), messages)
        chats.clear()
        messages.clear()

    def add(owner: str, n_messages: int, seed_no: int, when: int) -> str:
        chat_id = str(uuid.uuid4())
        chat, rows = chat_rows(owner, chat_id, n_messages, when, seed_no)
        chats.append(chat)
        messages.extend(rows)
        return chat_id

    mine = int(10_000 * scale)
    others = int(100_000 * scale)
    started = time.monotonic()
    opened = ""
    for i in range(mine):
        chat_id = add(user_id, 100, i, stamp + i)
        opened = opened or chat_id
        await flush()
    for i in range(others):
        add(f"other-{i % 100}", 2, mine + i, stamp + i)
        await flush()
    small = add(user_id, 10, 1, stamp - 10)
    big = add(user_id, 10_000, 2, stamp - 20)
    await flush(force=True)
    await engine.dispose()
    print(f"seeded {mine} + {others} chats in {time.monotonic() - started:.0f} s", flush=True)
    return {"open": opened, "small": small, "big": big}


def timed(client: httpx.Client, n: int, call: Any) -> dict[str, float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        response = call(i)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(
                f"{response.request.url}: {response.status_code} {response.text[:200]}"
            )
    return {
        "p50_ms": round(pct(samples, 50) * 1000, 2),
        "p95_ms": round(pct(samples, 95) * 1000, 2),
        "n": n,
    }


def measure(base: str, token: str, ids: dict[str, str], quick: bool) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    n = 50 if quick else 200
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        listed = client.get("/api/v1/chats/", params={"page": 1})
        assert len(listed.json()) == 60, listed.text[:200]
        results["list"] = timed(
            client, n, lambda i: client.get("/api/v1/chats/", params={"page": 1})
        )
        results["search"] = timed(
            client, 10 if quick else 20,
            lambda i: client.get("/api/v1/chats/search", params={"text": RARE}),
        )  # fmt: skip
        results["search_hits"] = len(
            client.get("/api/v1/chats/search", params={"text": RARE}).json()
        )
        results["open_100"] = timed(client, n, lambda i: client.get(f"/api/v1/chats/{ids['open']}"))
        for name, chat_id in (("10", ids["small"]), ("10000", ids["big"])):
            last = {"id": client.get(f"/api/v1/chats/{chat_id}").json()["current_message_id"]}

            def complete(
                i: int, chat_id: str = chat_id, last: dict[str, str] = last
            ) -> httpx.Response:
                user_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
                body = {
                    "model": "fake-gpt", "messages": [{"role": "user", "content": "next"}],
                    "chat_id": chat_id, "id": answer_id, "parent_id": last["id"],
                    "user_message": {"id": user_id, "parentId": last["id"], "role": "user",
                                     "content": "next", "timestamp": 1},
                }  # fmt: skip
                last["id"] = answer_id
                return client.post("/api/chat/completions", json=body)

            def update(
                i: int, chat_id: str = chat_id, last: dict[str, str] = last
            ) -> httpx.Response:
                mid = str(uuid.uuid4())
                msg = {"id": mid, "parentId": last["id"], "role": "user", "content": "more",
                       "timestamp": 1}  # fmt: skip
                last["id"] = mid
                history = {"messages": {mid: msg}, "currentId": mid}
                return client.post(f"/api/v1/chats/{chat_id}", json={"chat": {"history": history}})

            results[f"append_completion_{name}"] = timed(client, n, complete)
            results[f"append_update_{name}"] = timed(client, max(n // 4, 10), update)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--database-url", default=None, help="postgresql://… (default SQLite)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    fake = FakeProcess()
    proc = None
    pg_admin = args.database_url
    db_name = f"owlet_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="owlet-bench-chats-") as data_dir:
        try:
            if pg_admin:
                subprocess.run(["psql", pg_admin, "-qc", f"CREATE DATABASE {db_name}"], check=True)
                database_url = pg_admin.rsplit("/", 1)[0] + f"/{db_name}"
            else:
                database_url = f"sqlite:///{data_dir}/webui.db"
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                **os.environ, "PORT": str(port), "DATA_DIR": data_dir,
                "DATABASE_URL": database_url, "GLOBAL_LOG_LEVEL": "WARNING",
                "ENABLE_OPENAI_API": "true", "OPENAI_API_BASE_URLS": f"{fake.url}/v1",
                "OPENAI_API_KEYS": "sk-x", "ENABLE_OLLAMA_API": "false",
                "ENABLE_EVALUATION_ARENA_MODELS": "false",
            }  # fmt: skip
            env.pop("REDIS_URL", None)
            subprocess.run([str(OWLET), "migrate"], env=env, check=True)
            proc = subprocess.Popen([str(OWLET), "serve"], env=env)
            wait_healthy(base, proc)
            signup = httpx.post(
                f"{base}/api/v1/auths/signup",
                json={"name": "Bench", "email": "bench@example.com", "password": "bench-pass-1"},
            ).json()
            ids = asyncio.run(seed(database_url, signup["id"], scale))
            results = measure(base, signup["token"], ids, args.quick)
            results["database"] = "postgresql" if pg_admin else "sqlite"
            results["scale"] = scale
            print(json.dumps(results, indent=2))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
            fake.close()
            if pg_admin:
                subprocess.run(["psql", pg_admin, "-qc", f"DROP DATABASE IF EXISTS {db_name}"])


if __name__ == "__main__":
    main()
