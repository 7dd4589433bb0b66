"""Load held: many simulated users on one `owlet serve` worker (SQLite) for minutes on end.

Starts `owlet serve` on a fresh SQLite DATA_DIR (one worker, its output captured to a file),
with the fake upstream (tests/fakes/upstream.py) in this process serving chats and the
embeddings files are indexed with (RAG_EMBEDDING_ENGINE=openai: the fake's 8-dim vectors, so
the figures are the server's and not a local embedding model's). Each simulated user has its
own account (added by the admin beforehand) and its own `httpx.AsyncClient`, and loops with a
think time picking among:

* `stream`: a streamed completion recorded into the user's chat (`chat_id` + `id`);
* `whole`: the same, not streamed;
* `chat_list`: the sidebar (`GET /api/v1/chats/?page=1`); `chat_open`: one of its chats;
* `upload`: a small text file, polling `/api/v1/files/{id}/process/status` to `completed`;
* `rag`: a question about one of its files (`files: [{type: file, id}]`);
* `signin`: paced one per user per 60 s (the limit is 5 per email per 180 s);
* `new_chat`: a new chat once the current one has 20 answers.

Reports per kind requests/s, p50/p99 (of successes), errors (any non-2xx, transport error or
error frame; first messages), the server's RSS and open file descriptors at start, middle and
end (and the peak of 5 s samples), and the `database is locked` lines in its output. No
assertions: it prints and exits 0.

    .venv/bin/python bench/soak.py [--minutes 10] [--users 50] [--think 2] [--log F] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import OWLET, free_port, pct, wait_healthy  # noqa: E402

from tests.fakes.upstream import FakeUpstream  # noqa: E402

MODEL = "fake-gpt"
PASSWORD = "soak-pass-1234"
SIGNIN_EVERY = 60.0
TURNS_PER_CHAT = 20
WEIGHTS = {"stream": 30, "whole": 10, "chat_list": 20, "chat_open": 20, "upload": 5, "rag": 15}
NOISE = r"^\S+ [\d:,]+ |[0-9a-f]{8}-[0-9a-f-]{27}|\(request [^)]*\)"  # stamps and ids
KINDS = (*WEIGHTS, "signin", "new_chat")
DOC = (
    "The lighthouse on Gull Rock is kept by Marta Vinter. She winds the lamp at dusk, logs "
    "every ship that passes and feeds the two cats, Ember and Quartz. "
) * 12


class Failed(Exception):
    pass


class Stats:
    def __init__(self) -> None:
        self.ok: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.messages: dict[str, list[str]] = defaultdict(list)

    def fail(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        if len(self.messages[kind]) < 3:
            self.messages[kind].append(message[:200])


def check(response: httpx.Response) -> Any:
    if not response.is_success:
        raise Failed(f"{response.request.method} {response.request.url.path}: "
                     f"{response.status_code} {response.text[:160]}")  # fmt: skip
    return response.json()


class User:
    def __init__(self, index: int, base: str, email: str, token: str, stats: Stats) -> None:
        self.index, self.email, self.stats = index, email, stats
        self.client = httpx.AsyncClient(base_url=base, timeout=180,
                                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        self.chats: list[str] = []
        self.files: list[str] = []
        self.chat_id, self.turns = "", 0
        self.last_id: str | None = None
        self.next_signin = time.monotonic() + random.uniform(0, SIGNIN_EVERY)

    def _turn(self, stream: bool) -> dict[str, Any]:
        user_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
        question = f"Question {self.turns} from user {self.index}?"
        body = {"model": MODEL, "stream": stream, "chat_id": self.chat_id, "id": answer_id,
                "parent_id": self.last_id, "messages": [{"role": "user", "content": question}],
                "user_message": {"id": user_id, "parentId": self.last_id, "role": "user",
                                 "content": question, "timestamp": int(time.time())}}  # fmt: skip
        self.last_id, self.turns = answer_id, self.turns + 1
        return body

    async def new_chat(self) -> None:
        chat = {"title": f"soak {self.index}.{len(self.chats)}", "models": [MODEL],
                "history": {"currentId": None, "messages": {}}}  # fmt: skip
        made = check(await self.client.post("/api/v1/chats/new", json={"chat": chat}))
        self.chat_id, self.last_id, self.turns = made["id"], None, 0
        self.chats.append(made["id"])

    async def stream(self, body: dict[str, Any] | None = None) -> None:
        body = body or self._turn(stream=True)
        async with self.client.stream("POST", "/api/chat/completions", json=body) as response:
            if not response.is_success:
                await response.aread()
                check(response)
            lines = [line async for line in response.aiter_lines() if line]
        if not any(line.strip() == "data: [DONE]" for line in lines):
            raise Failed(f"stream without [DONE]: {' | '.join(lines[-2:])[:160]}")
        if any(line.startswith('data: {"error"') for line in lines):
            raise Failed(f"error frame: {next(x for x in lines if 'error' in x)[:160]}")

    async def whole(self) -> None:
        reply = check(await self.client.post("/api/chat/completions", json=self._turn(False)))
        if not (reply.get("choices") or [{}])[0].get("message", {}).get("content"):
            raise Failed(f"no answer: {str(reply)[:160]}")

    async def chat_list(self) -> None:
        check(await self.client.get("/api/v1/chats/", params={"page": 1}))

    async def chat_open(self) -> None:
        check(await self.client.get(f"/api/v1/chats/{random.choice(self.chats)}"))

    async def upload(self) -> None:
        name = f"notes-{self.index}-{len(self.files)}.txt"
        sent = {"file": (name, DOC.encode(), "text/plain")}
        made = check(await self.client.post("/api/v1/files/", files=sent))
        deadline = time.monotonic() + 120
        while True:
            path = f"/api/v1/files/{made['id']}/process/status"
            status = check(await self.client.get(path))["status"]
            if status == "completed":
                break
            if status == "failed" or time.monotonic() > deadline:
                raise Failed(f"file {made['id']} processing {status}")
            await asyncio.sleep(0.2)
        self.files.append(made["id"])

    async def rag(self) -> None:
        body = {"model": MODEL, "stream": False,
                "messages": [{"role": "user", "content": "Who keeps the lighthouse?"}],
                "files": [{"type": "file", "id": random.choice(self.files)}]}  # fmt: skip
        reply = check(await self.client.post("/api/chat/completions", json=body))
        if not reply.get("sources"):
            raise Failed(f"RAG answer without sources: {str(reply)[:160]}")

    async def signin(self) -> None:
        form = {"email": self.email, "password": PASSWORD}
        token = check(await self.client.post("/api/v1/auths/signin", json=form))["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"

    async def recorded(self) -> int:
        """Finished answers stored in this user's chats."""
        count = 0  # on a new connection: the server may be closing an idle keep-alive one
        async with httpx.AsyncClient(base_url=self.client.base_url, timeout=60,
                                     headers=self.client.headers) as client:  # fmt: skip
            for chat_id in self.chats:
                doc = check(await client.get(f"/api/v1/chats/{chat_id}"))["chat"]
                count += sum(m.get("role") == "assistant" and bool(m.get("done"))
                             for m in doc["history"]["messages"].values())  # fmt: skip
        return count

    async def act(self, kind: str) -> None:
        started = time.perf_counter()
        try:
            await getattr(self, kind)()
        except (Failed, httpx.HTTPError) as exc:
            self.stats.fail(kind, f"{type(exc).__name__}: {exc}")
        else:
            self.stats.ok[kind].append(time.perf_counter() - started)

    def pick(self) -> str:
        if time.monotonic() >= self.next_signin:
            self.next_signin += SIGNIN_EVERY
            return "signin"
        if self.turns >= TURNS_PER_CHAT:
            return "new_chat"
        return random.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]

    async def run(self, until: float, think: float) -> None:
        await asyncio.sleep(random.uniform(0, think))  # users do not start in step
        while time.monotonic() < until:
            await self.act(self.pick())
            await asyncio.sleep(random.uniform(0.5, 1.5) * think)


def usage(pid: int) -> tuple[float, int]:
    """(RSS MiB, open file descriptors) of the server process."""
    try:
        import psutil

        proc = psutil.Process(pid)
        return proc.memory_info().rss / 2**20, proc.num_fds()
    except ImportError:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        rss = next(int(x.split()[1]) for x in status if x.startswith("VmRSS:"))
        return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))


async def sample(pid: int, seconds: float, up: FakeUpstream, out: dict[str, Any]) -> None:
    """Every 5 s until cancelled: the peak; the sample nearest the middle is kept."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(5)
        now = usage(pid)
        up.clear_requests()  # the fake keeps every request; this is our memory, not the server's
        out["peak_rss"] = max(out.get("peak_rss", 0.0), now[0])
        out["peak_fds"] = max(out.get("peak_fds", 0), now[1])
        if "middle" not in out and time.monotonic() - started >= seconds / 2:
            out["middle"] = now


async def prepare(base: str, n: int, stats: Stats) -> list[User]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as admin:
        account = {"name": "Admin", "email": "admin@example.com", "password": PASSWORD}
        token = check(await admin.post("/api/v1/auths/signup", json=account))["token"]
        admin.headers["Authorization"] = f"Bearer {token}"
        grant = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
        share = {"id": MODEL, "access_grants": grant}  # the base model, readable by all users
        check(await admin.post("/api/v1/models/model/access/update", json=share))
        users = []
        for i in range(n):
            form = {"name": f"User {i}", "email": f"user{i}@example.com", "password": PASSWORD,
                    "role": "user"}  # fmt: skip
            made = check(await admin.post("/api/v1/auths/add", json=form))
            users.append(User(i, base, form["email"], made["token"], stats))
    for start in range(0, n, 10):  # a chat and a file each, before the clock starts
        batch = users[start : start + 10]
        await asyncio.gather(*(u.new_chat() for u in batch))
        await asyncio.gather(*(u.upload() for u in batch))
    return users


async def soak(base: str, pid: int, up: FakeUpstream, args: argparse.Namespace) -> dict[str, Any]:
    stats = Stats()
    users = await prepare(base, args.users, stats)
    seconds = args.minutes * 60
    await asyncio.sleep(2)
    out: dict[str, Any] = {"start": usage(pid)}
    sampler = asyncio.create_task(sample(pid, seconds, up, out))
    progress(f"{args.users} users for {args.minutes:g} min")
    started = time.monotonic()
    await asyncio.gather(*(u.run(started + seconds, args.think) for u in users))
    elapsed = time.monotonic() - started
    sampler.cancel()
    out["end"] = usage(pid)
    out.setdefault("middle", out["end"])
    await asyncio.sleep(2)  # a stream's answer is saved as it ends
    out["recorded"] = sum(await asyncio.gather(*(u.recorded() for u in users)))
    await asyncio.gather(*(u.client.aclose() for u in users))
    return {"stats": stats, "elapsed": elapsed, "usage": out}


def progress(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def report(result: dict[str, Any], log: Path, args: argparse.Namespace) -> str:
    stats, elapsed, use = result["stats"], result["elapsed"], result["usage"]
    head = f"{'kind':<10}{'n':>7}{'req/s':>9}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
    lines = [f"soak: {args.users} users, {elapsed:.0f} s, think {args.think:g} s, "
             "one worker, SQLite", "", head]  # fmt: skip
    total_n = total_err = 0
    for kind in KINDS:
        ok, err = stats.ok.get(kind, []), stats.errors[kind]
        n = len(ok) + err
        total_n, total_err = total_n + n, total_err + err
        lines.append(f"{kind:<10}{n:>7}{n / elapsed:>9.2f}{pct(ok, 50) * 1000:>10.1f}"
                     f"{pct(ok, 99) * 1000:>10.1f}{err:>8}")  # fmt: skip
    lines.append(f"{'all':<10}{total_n:>7}{total_n / elapsed:>9.2f}{'':>20}{total_err:>8}")
    for kind, messages in stats.messages.items():
        lines += [f"  {kind} error: {m}" for m in messages]
    answers = len(stats.ok["stream"]) + len(stats.ok["whole"])
    lines.append(f"answers recorded in chats: {use['recorded']} of {answers} completed")
    lines += ["", f"{'server':<10}{'start':>10}{'middle':>10}{'end':>10}{'peak':>10}"]
    rss = [use[k][0] for k in ("start", "middle", "end")]
    fds = [use[k][1] for k in ("start", "middle", "end")]
    peak_rss, peak_fds = use.get("peak_rss", max(rss)), use.get("peak_fds", max(fds))
    lines.append(f"{'RSS MiB':<10}" + "".join(f"{v:>10.1f}" for v in (*rss, peak_rss)))
    lines.append(f"{'open fds':<10}" + "".join(f"{v:>10}" for v in (*fds, peak_fds)))
    text = log.read_text(errors="replace").splitlines()
    locked = sum("database is locked" in line for line in text)
    busy = sum("database busy" in line for line in text)
    tracebacks = sum(line.startswith("Traceback") for line in text)
    lines += ["", f"server output: {len(text)} lines, 'database is locked' {locked}, "
              f"'database busy' warnings {busy}, tracebacks {tracebacks}"]  # fmt: skip
    # What the server said, without timestamps and ids: its log lines and final exceptions.
    said = Counter(re.sub(NOISE, "…", line)[:150] for line in text
                   if re.match(r"\d{4}-\d\d-\d\d |\w[\w.]*(Error|Exception): ", line))  # fmt: skip
    lines += [f"  {n:>5} x {line}" for line, n in said.most_common(8)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, seconds")
    parser.add_argument("--log", type=Path, help="keep the server's output here")
    parser.add_argument("--quick", action="store_true", help="1 minute, 10 users")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.users = 1.0, 10
    owlet = OWLET if OWLET.exists() else Path(sys.executable).with_name("owlet")
    tokens = [f" word{i}" for i in range(40)]
    with FakeUpstream(models=[MODEL], tokens=tokens, token_delay=0.01) as up, \
            tempfile.TemporaryDirectory(prefix="owlet-bench-soak-") as data_dir:  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        inherited = {k: v for k, v in os.environ.items()
                     if k not in ("DATABASE_URL", "REDIS_URL", "UVICORN_WORKERS")}  # fmt: skip
        env = {**inherited, "PORT": str(port), "DATA_DIR": data_dir,
               "GLOBAL_LOG_LEVEL": "WARNING", "ENABLE_OPENAI_API": "true",
               "OPENAI_API_BASE_URLS": up.openai_url, "OPENAI_API_KEYS": "sk-x",
               "ENABLE_OLLAMA_API": "false", "ENABLE_LOCAL_MODELS": "false",
               "RAG_EMBEDDING_ENGINE": "openai", "RAG_EMBEDDING_MODEL": MODEL}  # fmt: skip
        log = Path(data_dir) / "server.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen([str(owlet), "serve"], env=env, stdout=sink, stderr=sink)
            try:
                wait_healthy(base, proc)
                result = asyncio.run(soak(base, proc.pid, up, args))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        if args.log:
            shutil.copyfile(log, args.log)
        print(report(result, log, args))


if __name__ == "__main__":
    main()
