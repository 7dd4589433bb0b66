"""Gateway figures: what `POST /api/chat/completions` adds on top of the upstream it proxies.

Usage: .venv/bin/python bench/gateway.py [--quick]

Three processes besides this one, so none competes with another for the GIL:

* the fake upstream (`tests.fakes.upstream.FakeUpstream`, OpenAI wire) in its own Python process,
  reconfigured between phases over a stdin pipe; it stamps every SSE frame it writes with
  `time.monotonic()` (CLOCK_MONOTONIC, comparable across processes);
* `owlet serve` (one worker, fresh SQLite DATA_DIR), started as `make run` would, pointed at the
  fake with `OPENAI_API_BASE_URLS`; an admin is signed up and an API key created;
* the load generator: `wrk -t1` (non-streaming) or a uvloop + httptools client (streaming), each
  a separate process.

Every figure is taken twice, DIRECT (client → fake `/v1/chat/completions`) and THROUGH OWLET
(client → owlet `/api/chat/completions` with `Authorization: Bearer sk-…`), with the same body;
"added" is owlet − direct.

1. Non-streaming latency p50/p99 at concurrency 1 and 64, and requests/s at 64 (wrk, by time).
2. Streaming (token_delay 0.02 s, 20 tokens, sequential streams and 32 at a time):
   time to first `data:` frame from the request write, and per-frame one-way latency = the
   client's receive time − the fake's write time of the same frame (streams matched by chunk
   `id`, frames by index), plus the gap between consecutive frames.
3. Concurrent streams one owlet worker carries: N streams opened at once (token_delay 0.5 s,
   10 tokens); a stream passes when it gets status 200, every frame, the whole text and `[DONE]`.
   Reports the largest N that passed and owlet's peak RSS while it held them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
OWLET = ROOT / ".venv" / "bin" / "owlet"
PYTHON = sys.executable
WRK = "/usr/bin/wrk"
MODEL = "fake-gpt"
UPSTREAM_KEY = "sk-x"
CLK_TCK = os.sysconf("SC_CLK_TCK")

QUICK = {
    "warmup_s": 1,
    "c1_s": 2,
    "c64_s": 2,
    "stream_seq": 8,
    "stream_conc": 64,
    "hold_ns": [250, 500],
}
FULL = {
    "warmup_s": 2,
    "c1_s": 10,
    "c64_s": 10,
    "stream_seq": 100,
    "stream_conc": 320,
    "hold_ns": [250, 500, 1000, 2000],
}
STREAM_TOKENS = [f"t{i} " for i in range(20)]
HOLD_TOKENS = [f"h{i} " for i in range(10)]


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """utime + stime of a live process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu_s() -> float:
    """CPU of reaped children: the delta around a client run is that client's CPU."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def signed_in_server(
    prefix: str, settings: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes], dict[str, str]]]:
    """A real `owlet serve` on embedded defaults plus `settings` (no upstreams), with its
    first (admin) account signed up: (base URL, the process, that account's headers)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as data_dir:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        inherited = {k: v for k, v in os.environ.items()
                     if k not in ("DATABASE_URL", "REDIS_URL", "UVICORN_WORKERS")}  # fmt: skip
        env = {**inherited, "PORT": str(port), "DATA_DIR": data_dir,
               "GLOBAL_LOG_LEVEL": "WARNING", "ENABLE_OPENAI_API": "false",
               "ENABLE_OLLAMA_API": "false", **settings}  # fmt: skip
        proc = subprocess.Popen([str(OWLET), "serve"], env=env)
        try:
            wait_healthy(base, proc)
            account = {"name": "B", "email": "b@example.com", "password": "bench-pass-1"}
            token = httpx.post(f"{base}/api/v1/auths/signup", json=account).json()["token"]
            yield base, proc, {"Authorization": f"Bearer {token}"}
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def chat_body(stream: bool) -> bytes:
    body: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body["stream"] = True
    return json.dumps(body, separators=(",", ":")).encode()


# --------------------------------------------------------------------------- fake upstream process


def fake_main() -> None:
    """`gateway.py _fake`: serve FakeUpstream, obey JSON commands read from stdin."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.upstream import FakeUpstream

    class StampedUpstream(FakeUpstream):
        """Records (stream id, [monotonic write time of each frame]) for every SSE stream."""

        def __init__(self) -> None:
            super().__init__(models=[MODEL], tokens=STREAM_TOKENS, timeout_keep_alive=60)
            self.sent: list[tuple[str, list[float]]] = []

        async def _emit(self, call: Any, frames: list[Any]) -> Any:  # type: ignore[override]
            stamps: list[float] = []
            first = frames[0] if frames else None
            self.sent.append((str(first.get("id", "")) if isinstance(first, dict) else "", stamps))
            async for chunk in super()._emit(call, frames):
                stamps.append(time.monotonic())
                yield chunk

        def _record(self, *args: Any) -> None:
            """Keep nothing: an ever-growing request log would add GC pauses to the figures."""

    up = StampedUpstream().start()
    print(json.dumps({"port": up.port}), flush=True)
    try:
        for line in sys.stdin:
            command = json.loads(line)
            reply: Any = "ok"
            if command.get("cmd") == "dump":
                reply = up.sent
                up.sent = []
            else:
                up.tokens = list(command["tokens"])
                up.token_delay = float(command["token_delay"])
                up.sent = []
            up.requests.clear()
            print(json.dumps(reply), flush=True)
    finally:
        up.stop()


class FakeProcess:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, __file__, "_fake"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self._readline()
        self.port = int(json.loads(line)["port"])
        self.url = f"http://127.0.0.1:{self.port}"

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"fake upstream exited ({self.proc.poll()})")
        return line

    def command(self, **command: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._readline())

    def configure(self, tokens: list[str], token_delay: float) -> None:
        self.command(cmd="set", tokens=tokens, token_delay=token_delay)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------- streaming client


def client_main() -> None:
    """`gateway.py _client '<json spec>'`: run streams, print JSON results."""
    import uvloop

    spec = json.loads(sys.argv[2])
    raise_nofile()
    print(json.dumps(uvloop.run(run_client(spec))), flush=True)


class _Stream(asyncio.Protocol):
    """One HTTP/1.1 request on its own connection; records when each `data:` frame arrived."""

    def __init__(self, request: bytes, done: asyncio.Future[None]) -> None:
        import httptools

        self.request = request
        self.done = done
        self.parser = httptools.HttpResponseParser(self)
        self.buf = b""
        self.now = 0.0
        self.sent_at = 0.0
        self.frames: list[tuple[float, bytes]] = []
        self.status = 0
        self.complete = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.sent_at = time.monotonic()
        self.transport.write(self.request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.now = time.monotonic()
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # noqa: BLE001 - any parse error fails the stream
            self._finish(exc)

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.buf += body.replace(b"\r\n", b"\n")
        while (end := self.buf.find(b"\n\n")) >= 0:
            event, self.buf = self.buf[:end], self.buf[end + 2 :]
            for line in event.split(b"\n"):
                if line.startswith(b"data:"):
                    self.frames.append((self.now, line[5:].strip()))

    def on_message_complete(self) -> None:
        self.complete = True
        self._finish(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(exc or ConnectionError("connection closed before the response ended"))

    def _finish(self, exc: BaseException | None) -> None:
        if not self.done.done():
            if exc is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(exc)
        if self.transport is not None:
            self.transport.close()


async def one_stream(spec: dict[str, Any]) -> dict[str, Any]:
    timeout = float(spec["timeout"])
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    proto = _Stream(spec["request"].encode("latin-1"), done)
    error = None
    try:
        async with asyncio.timeout(timeout):
            await loop.create_connection(lambda: proto, "127.0.0.1", spec["port"])
            await done
    except (OSError, TimeoutError, ConnectionError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if proto.transport is not None:
            proto.transport.close()
    return check_stream(proto, spec["expect_text"], spec["expect_frames"], error)


def check_stream(
    proto: _Stream, expect_text: str, expect_frames: int, error: str | None
) -> dict[str, Any]:
    text = []
    chunk_id = ""
    for _, payload in proto.frames:
        if payload != b"[DONE]":
            try:
                frame = json.loads(payload)
                chunk_id = chunk_id or str(frame.get("id") or "")
                for choice in frame.get("choices") or []:
                    text.append((choice.get("delta") or {}).get("content") or "")
            except ValueError:
                error = error or "unparsable frame"
    if error is None:
        if proto.status != 200:
            error = f"status {proto.status}"
        elif not proto.frames or proto.frames[-1][1] != b"[DONE]":
            error = "no [DONE]"
        elif len(proto.frames) != expect_frames:
            error = f"{len(proto.frames)} frames, expected {expect_frames}"
        elif "".join(text) != expect_text:
            error = "text mismatch"
    return {
        "ok": error is None,
        "error": error,
        "id": chunk_id,
        "sent_at": proto.sent_at,
        "arrivals": [t for t, _ in proto.frames],
    }


async def run_client(spec: dict[str, Any]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    if spec["mode"] == "hold":
        started = time.monotonic()
        results = await asyncio.gather(*(one_stream(spec) for _ in range(spec["n"])))
        wall = time.monotonic() - started
    else:
        queue = iter(range(spec["n"]))
        started = time.monotonic()

        async def worker() -> None:
            for _ in queue:
                results.append(await one_stream(spec))

        await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
        wall = time.monotonic() - started
    return {"wall_s": wall, "streams": results}


def run_stream_client(spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """Run the client in its own process; returns its JSON result and its CPU seconds."""
    before = children_cpu_s()
    out = subprocess.run(
        [PYTHON, __file__, "_client", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=float(spec["timeout"]) * spec["n"] / spec.get("concurrency", spec["n"]) + 120,
    )
    if out.returncode != 0:
        raise SystemExit(f"stream client failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout), children_cpu_s() - before


# --------------------------------------------------------------------------- targets


class Target:
    def __init__(self, name: str, port: int, path: str, key: str) -> None:
        self.name = name
        self.port = port
        self.path = path
        self.key = key

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def raw_request(self, body: bytes) -> str:
        return (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.key}\r\nContent-Type: application/json\r\n"
            f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
        ) + body.decode()


@contextmanager
def cpu_watch(pids: dict[str, int]) -> Iterator[dict[str, float]]:
    """Cores used by each live process over the block (CPU seconds / wall seconds)."""
    usage: dict[str, float] = {}
    before = {name: cpu_s(pid) for name, pid in pids.items()}
    started = time.monotonic()
    yield usage
    wall = time.monotonic() - started
    for name, pid in pids.items():
        usage[name] = round((cpu_s(pid) - before[name]) / wall, 2)
    usage["_wall_s"] = round(wall, 2)


# --------------------------------------------------------------------------- phase 1: wrk

WRK_LUA = """
wrk.method = "POST"
wrk.body = '%(body)s'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"p50_us":%%d,"p99_us":%%d,"mean_us":%%.1f,"max_us":%%d,"requests":%%d,' ..
    '"duration_us":%%d,"status_errors":%%d,"connect_errors":%%d,"read_errors":%%d,' ..
    '"write_errors":%%d,"timeouts":%%d}\\n',
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
"""


def run_wrk(
    target: Target, concurrency: int, seconds: float, workdir: str
) -> tuple[dict[str, Any], float]:
    script = Path(workdir) / f"wrk-{target.name}.lua"
    script.write_text(WRK_LUA % {"body": chat_body(False).decode(), "key": target.key})
    before = children_cpu_s()
    out = subprocess.run(
        [
            WRK,
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            target.url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = children_cpu_s() - before
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON ")), cpu


def phase_latency(
    targets: list[Target], cfg: dict[str, Any], pids: dict[str, int], workdir: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for concurrency, seconds in ((1, cfg["c1_s"]), (64, cfg["c64_s"])):
        row: dict[str, Any] = {}
        for target in targets:
            run_wrk(target, concurrency, cfg["warmup_s"], workdir)  # warm-up
            with cpu_watch(pids) as usage:
                stats, client_cpu = run_wrk(target, concurrency, seconds, workdir)
            usage["client_wrk"] = round(client_cpu / usage["_wall_s"], 2)
            errors = sum(v for k, v in stats.items() if k.endswith("errors") or k == "timeouts")
            row[target.name] = {
                "p50_ms": round(stats["p50_us"] / 1000, 3),
                "p99_ms": round(stats["p99_us"] / 1000, 3),
                "mean_ms": round(stats["mean_us"] / 1000, 3),
                "requests": stats["requests"],
                "rps": round(stats["requests"] / (stats["duration_us"] / 1e6), 1),
                "errors": errors,
                "cpu_cores": usage,
            }
        row["added"] = {
            k: round(row["owlet"][k] - row["direct"][k], 3) for k in ("p50_ms", "p99_ms")
        }
        out[f"c{concurrency}"] = row
    return out


# --------------------------------------------------------------------------- phase 2: streaming


def stream_stats(result: dict[str, Any], sent: list[tuple[str, list[float]]]) -> dict[str, Any]:
    streams = result["streams"]
    bad = [s for s in streams if not s["ok"]]
    good = [s for s in streams if s["ok"]]
    ttfb = [s["arrivals"][0] - s["sent_at"] for s in good]
    gaps = [b - a for s in good for a, b in zip(s["arrivals"], s["arrivals"][1:], strict=False)]
    lags: list[float] = []
    unmatched = 0
    stamps_by_id = {chunk_id: stamps for chunk_id, stamps in sent if chunk_id}
    for stream in streams:
        stamps = stamps_by_id.get(stream["id"])
        if stream["ok"] and stamps and len(stamps) == len(stream["arrivals"]):
            lags.extend(a - s for a, s in zip(stream["arrivals"], stamps, strict=True))
        else:
            unmatched += 1
    return {
        "streams": len(streams),
        "failed": len(bad),
        "first_error": bad[0]["error"] if bad else None,
        "ttfb_p50_ms": ms(pct(ttfb, 50)),
        "ttfb_p99_ms": ms(pct(ttfb, 99)),
        "frame_latency_p50_ms": ms(pct(lags, 50)),
        "frame_latency_p99_ms": ms(pct(lags, 99)),
        "frame_latency_max_ms": ms(max(lags)) if lags else None,
        "frames_matched": len(lags),
        "streams_unmatched": unmatched,
        "gap_p50_ms": ms(pct(gaps, 50)),
        "gap_p99_ms": ms(pct(gaps, 99)),
        "gap_mean_ms": ms(statistics.fmean(gaps)) if gaps else None,
        "wall_s": round(result["wall_s"], 2),
    }


def phase_streaming(
    targets: list[Target], fake: FakeProcess, cfg: dict[str, Any], pids: dict[str, int]
) -> dict[str, Any]:
    delay = 0.02
    fake.configure(STREAM_TOKENS, delay)
    expect_frames = 1 + len(STREAM_TOKENS) + 1 + 1  # role, tokens, finish, [DONE]
    body = chat_body(True)
    out: dict[str, Any] = {
        "token_delay_s": delay,
        "tokens": len(STREAM_TOKENS),
        "frames_per_stream": expect_frames,
    }
    runs = (("sequential", 1, cfg["stream_seq"]), ("c32", 32, cfg["stream_conc"]))
    for label, concurrency, n in runs:
        row: dict[str, Any] = {"concurrency": concurrency}
        for target in targets:
            spec = {
                "mode": "stream",
                "port": target.port,
                "request": target.raw_request(body),
                "expect_text": "".join(STREAM_TOKENS),
                "expect_frames": expect_frames,
                "timeout": 30,
                "concurrency": concurrency,
            }
            run_stream_client({**spec, "n": max(3, concurrency)})  # warm-up
            fake.command(cmd="dump")
            with cpu_watch(pids) as usage:
                result, client_cpu = run_stream_client({**spec, "n": n})
            usage["client_py"] = round(client_cpu / usage["_wall_s"], 2)
            sent = fake.command(cmd="dump")
            row[target.name] = {
                **stream_stats(result, sent),
                "cpu_cores": usage,
            }
        row["added"] = {
            k: round(row["owlet"][k] - row["direct"][k], 3)
            for k in (
                "ttfb_p50_ms",
                "ttfb_p99_ms",
                "frame_latency_p50_ms",
                "frame_latency_p99_ms",
                "gap_p50_ms",
                "gap_p99_ms",
            )
            if row["owlet"][k] == row["owlet"][k] and row["direct"][k] == row["direct"][k]
        }
        out[label] = row
    return out


# --------------------------------------------------------------------------- phase 3: hold


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mib(self.pid))
            except OSError:
                return
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def hold(
    target: Target, n: int, expect_frames: int, watch: int, pids: dict[str, int]
) -> dict[str, Any]:
    spec = {
        "mode": "hold",
        "port": target.port,
        "request": target.raw_request(chat_body(True)),
        "expect_text": "".join(HOLD_TOKENS),
        "expect_frames": expect_frames,
        "timeout": 60 + n / 20,
        "n": n,
    }
    with RssSampler(watch) as rss, cpu_watch(pids) as usage:
        result, client_cpu = run_stream_client(spec)
    usage["client_py"] = round(client_cpu / usage["_wall_s"], 2)
    streams = result["streams"]
    bad = [s for s in streams if not s["ok"]]
    errors: dict[str, int] = {}
    for s in bad:
        errors[s["error"]] = errors.get(s["error"], 0) + 1
    good = [s for s in streams if s["ok"]]
    first = [s["arrivals"][0] - s["sent_at"] for s in good]
    total = [s["arrivals"][-1] - s["sent_at"] for s in good]
    return {
        "n": n,
        "passed": not bad,
        "failed_streams": len(bad),
        "errors": errors,
        "first_frame_p50_s": round(pct(first, 50), 3),
        "first_frame_max_s": round(max(first), 3) if first else None,
        "stream_time_p50_s": round(pct(total, 50), 3),
        "stream_time_max_s": round(max(total), 3) if total else None,
        "peak_rss_mib": round(rss.peak, 1),
        "wall_s": round(result["wall_s"], 2),
        "cpu_cores": usage,
    }


def phase_hold(
    owlet: Target,
    direct: Target,
    fake: FakeProcess,
    cfg: dict[str, Any],
    owlet_pid: int,
    pids: dict[str, int],
) -> dict[str, Any]:
    delay = 0.5
    fake.configure(HOLD_TOKENS, delay)
    expect_frames = 1 + len(HOLD_TOKENS) + 1 + 1
    time.sleep(0.5)
    out: dict[str, Any] = {
        "token_delay_s": delay,
        "tokens": len(HOLD_TOKENS),
        "ideal_stream_s": round(delay * (expect_frames - 1), 2),
        "rss_before_mib": round(rss_mib(owlet_pid), 1),
        "max_n_passed": 0,
        "rss_at_max_n_mib": None,
        "runs": [],
    }
    for n in cfg["hold_ns"]:
        run = hold(owlet, n, expect_frames, owlet_pid, pids)
        run["rss_after_mib"] = round(rss_mib(owlet_pid), 1)
        out["runs"].append(run)
        fake.command(cmd="dump")
        if not run["passed"]:
            # Is it owlet, or would the fake/client fail at this N too?
            time.sleep(2)
            check = hold(direct, n, expect_frames, fake.proc.pid, pids)
            fake.command(cmd="dump")
            out["direct_check_at_failure"] = {
                k: check[k] for k in ("n", "passed", "failed_streams", "errors")
            }
            break
        out["max_n_passed"] = n
        out["rss_at_max_n_mib"] = run["peak_rss_mib"]
        time.sleep(0.5)
    return out


# --------------------------------------------------------------------------- owlet


def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"owlet exited with {proc.returncode} before /health answered")
        try:
            if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise SystemExit("owlet did not become healthy within 60 s")


def stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGINT) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def table(result: dict[str, Any]) -> str:
    lines = []
    lat = result["nonstreaming"]
    lines.append(f"{'non-streaming':<30}{'direct':>12}{'owlet':>12}{'added':>12}")
    for c in ("c1", "c64"):
        for k in ("p50_ms", "p99_ms"):
            row = lat[c]
            lines.append(
                f"  {c} {k:<25}{row['direct'][k]:>12.3f}{row['owlet'][k]:>12.3f}"
                f"{row['added'][k]:>12.3f}"
            )
    row = lat["c64"]
    lines.append(f"  c64 {'req/s':<24}{row['direct']['rps']:>12.1f}{row['owlet']['rps']:>12.1f}")
    st = result["streaming"]
    for label in ("sequential", "c32"):
        row = st[label]
        lines.append(f"streaming {label} (c={row['concurrency']})")
        for k in (
            "ttfb_p50_ms",
            "ttfb_p99_ms",
            "frame_latency_p50_ms",
            "frame_latency_p99_ms",
            "gap_p50_ms",
            "gap_p99_ms",
        ):
            if k in row["added"]:
                lines.append(
                    f"  {k:<28}{row['direct'][k]:>12.3f}{row['owlet'][k]:>12.3f}"
                    f"{row['added'][k]:>12.3f}"
                )
        lines.append(
            f"  {'failed streams':<28}{row['direct']['failed']:>12}{row['owlet']['failed']:>12}"
        )
    hold_ = result["hold"]
    lines.append("concurrent streams (one owlet worker)")
    for run in hold_["runs"]:
        lines.append(
            f"  N={run['n']:<6} {'PASS' if run['passed'] else 'FAIL'}"
            f"  failed={run['failed_streams']}"
            f"  stream p50/max {run['stream_time_p50_s']}/{run['stream_time_max_s']} s"
            f"  first-frame max {run['first_frame_max_s']} s  peak RSS {run['peak_rss_mib']} MiB"
            f"  owlet cpu {run['cpu_cores'].get('owlet')}"
        )
    lines.append(
        f"  largest N passed: {hold_['max_n_passed']}  (owlet RSS {hold_['rss_at_max_n_mib']} MiB;"
        f" before {hold_['rss_before_mib']} MiB)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller counts (< 60 s)")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    nofile = raise_nofile()  # owlet, the fake and the clients inherit it
    started = time.monotonic()

    fake: FakeProcess | None = None
    proc: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="owlet-bench-gw-") as data_dir:
        try:
            fake = FakeProcess()
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "PORT": str(port),
                "DATA_DIR": data_dir,
                "GLOBAL_LOG_LEVEL": "WARNING",
                "ENABLE_OPENAI_API": "true",
                "OPENAI_API_BASE_URLS": f"{fake.url}/v1",
                "OPENAI_API_KEYS": UPSTREAM_KEY,
                "ENABLE_OLLAMA_API": "false",
            }
            for name in ("DATABASE_URL", "REDIS_URL", "UVICORN_WORKERS"):
                env.pop(name, None)
            proc = subprocess.Popen([str(OWLET), "serve"], env=env)
            wait_healthy(base, proc)
            signup = httpx.post(
                f"{base}/api/v1/auths/signup",
                json={"name": "Bench", "email": "bench@example.com", "password": "bench-pass-1"},
            ).json()
            key = httpx.post(
                f"{base}/api/v1/auths/api_key",
                headers={"Authorization": f"Bearer {signup['token']}"},
            ).json()["api_key"]
            check = httpx.post(
                f"{base}/api/chat/completions",
                content=chat_body(False),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                timeout=10,
            )
            if check.status_code != 200:
                raise SystemExit(f"owlet chat completion failed: {check.status_code} {check.text}")
            time.sleep(1)
            idle = rss_mib(proc.pid)
            direct = Target("direct", fake.port, "/v1/chat/completions", UPSTREAM_KEY)
            owlet = Target("owlet", port, "/api/chat/completions", key)
            targets = [direct, owlet]
            pids = {"owlet": proc.pid, "fake": fake.proc.pid}
            with tempfile.TemporaryDirectory(prefix="owlet-bench-wrk-") as workdir:
                nonstreaming = phase_latency(targets, cfg, pids, workdir)
            streaming = phase_streaming(targets, fake, cfg, pids)
            held = phase_hold(owlet, direct, fake, cfg, proc.pid, pids)
        finally:
            stop(proc)
            if fake is not None:
                fake.close()
    result = {
        "mode": "quick" if args.quick else "full",
        "nonstreaming": nonstreaming,
        "streaming": streaming,
        "hold": held,
        "owlet_idle_rss_mib": round(idle, 1),
        "nofile_limit": nofile,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_tools": {"nonstreaming": "wrk -t1", "streaming": "uvloop+httptools (own process)"},
        "method": {
            "added": "owlet − direct, same body, same client, same fake process",
            "ttfb": "request bytes written → first `data:` frame received (client clock)",
            "frame_latency": "client receive time − fake write time of the same frame "
            "(CLOCK_MONOTONIC in both processes; streams matched by chunk id, frames by index)",
            "gap": "time between consecutive `data:` frames of one stream (fake sleeps 20 ms)",
            "cpu_cores": "CPU seconds / wall seconds of each process over the measured run",
        },
        "total_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(result, indent=2))
    print()
    print(table(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_fake":
        fake_main()
    elif len(sys.argv) > 1 and sys.argv[1] == "_client":
        client_main()
    else:
        main()
