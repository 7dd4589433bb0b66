"""One engine process per local model (`worker.py`): started on its first request, watched,
restarted after a crash (with back-off when it keeps crashing), stopped with the server.

The engine is llama.cpp's own HTTP server on a loopback port, guarded by a key made for each
start; to the rest of owlet it is one more OpenAI-compatible upstream (`connection()`).
A crash ends the requests it was serving with a clear error (`explain()`), is logged once
with its signal, and costs the API server nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from owlet.providers.connections import Connection
from owlet.providers.http import UpstreamError
from owlet.providers.local.catalog import LocalModel

log = logging.getLogger(__name__)

HEALTHY_AFTER = 60.0  # seconds up after which a crash no longer counts as "in a row"
MAX_BACKOFF = 30.0
STOP_GRACE = 5.0


class EngineUnavailable(UpstreamError):
    """The engine cannot be started (the model does not load, or it keeps crashing)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message)


class EngineDied(UpstreamError):
    """The engine process ended while it was answering."""

    def __init__(self, message: str) -> None:
        super().__init__(502, message)


@dataclass(frozen=True)
class EngineSpec:
    model: LocalModel
    context: int  # tokens per slot
    parallel: int  # slots: requests answered together
    threads: int  # 0: llama.cpp's choice
    load_timeout: float = 120.0


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


def backoff(crashes: int) -> float:
    """Seconds to wait before the next start after `crashes` crashes in a row."""
    return 0.0 if crashes <= 1 else min(2.0 ** (crashes - 2), MAX_BACKOFF)


class EngineProcess:
    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        self.crashes = 0  # in a row
        self.starts = 0
        self.last_exit: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._exited = asyncio.Event()
        self._stopping = False
        self._started_at = 0.0
        self._crashed_at = 0.0
        self._stderr: deque[str] = deque(maxlen=20)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def connection(self) -> Connection:
        """The running engine's address, starting it first if need be."""
        if self.running and self._conn is not None:
            return self._conn
        async with self._lock:
            if not (self.running and self._conn is not None):
                delay = self._crashed_at + backoff(self.crashes) - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                self._conn = await self._start()
            return self._conn

    async def _start(self) -> Connection:
        model = self.spec.model
        key = secrets.token_urlsafe(24)
        config = {"model": str(model.path), "alias": model.id, "key": key,
                  "context": self.spec.context, "parallel": self.spec.parallel,
                  "threads": self.spec.threads}  # fmt: skip
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "owlet.providers.local.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        self._proc, self._stopping, self._conn = proc, False, None
        self._exited = asyncio.Event()
        self._stderr.clear()
        self._spawn(self._drain(proc.stderr, keep=True))
        proc.stdin.write(json.dumps(config).encode() + b"\n")
        ready: object = {}
        try:
            await proc.stdin.drain()
            line = await asyncio.wait_for(proc.stdout.readline(), self.spec.load_timeout)
            ready = json.loads(line) if line.strip() else {}
        except TimeoutError:
            ready = {"error": f"no answer within {self.spec.load_timeout:.0f} s"}
        except (OSError, ValueError):
            pass
        if not isinstance(ready, dict) or not isinstance(ready.get("url"), str):
            returncode = proc.returncode
            await self._kill(proc)
            why = ready.get("error") if isinstance(ready, dict) else None
            raise EngineUnavailable(self._load_failure(why, returncode))
        self._spawn(self._drain(proc.stdout, keep=False))
        self._spawn(self._watch(proc))
        self.starts += 1
        self._started_at = time.monotonic()
        log.info("local model %s: engine %d up in %.2f s", model.id, proc.pid,
                 time.perf_counter() - started)  # fmt: skip
        # llama.cpp's server closes a connection after a streamed answer; a pooled one
        # reused at that moment would fail the next request, so each request has its own.
        return Connection("openai", -1, str(ready["url"]) + "/v1", key,
                          {"headers": {"Connection": "close"}})  # fmt: skip

    def _load_failure(self, why: object, returncode: int | None) -> str:
        name = self.spec.model.id
        if isinstance(why, str) and why.startswith("no answer"):
            return f"The local model {name} could not start: {why}"
        if why:
            return f"Cannot load {name}: llama.cpp cannot read {self.spec.model.path.name}"
        tail = " ".join(line for line in self._stderr if line)[-300:]
        exit_ = describe_exit(returncode) if returncode is not None else "no answer"
        return f"The local model {name} could not start ({exit_}){': ' + tail if tail else ''}"

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, stream: asyncio.StreamReader, keep: bool) -> None:
        """Read the engine's output so its pipe never fills; keep the last lines for errors."""
        name = self.spec.model.id
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip()
            if keep:
                self._stderr.append(text)
            log.debug("engine %s: %s", name, text)

    async def _watch(self, proc: asyncio.subprocess.Process) -> None:
        returncode = await proc.wait()
        self._exited.set()
        if self._stopping or proc is not self._proc:
            return
        self._conn = None
        now = time.monotonic()
        self.crashes = 1 if now - self._started_at > HEALTHY_AFTER else self.crashes + 1
        self._crashed_at = now
        self.last_exit = describe_exit(returncode)
        wait = backoff(self.crashes + 1)
        log.error(
            "local model %s: engine %d ended with %s (%d in a row); it restarts on the next "
            "request%s",
            self.spec.model.id, proc.pid, self.last_exit, self.crashes,
            f" after {wait:.0f} s" if wait else "",
        )  # fmt: skip

    async def explain(self, exc: UpstreamError) -> UpstreamError:
        """`exc` as the engine's crash when the engine died under the request."""
        proc = self._proc
        if proc is None or self._stopping or isinstance(exc, EngineUnavailable | EngineDied):
            return exc
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._exited.wait(), 1.0)  # a dying process takes a moment
        if proc.returncode is None:
            return exc
        how = describe_exit(proc.returncode)
        return EngineDied(
            f"The local model {self.spec.model.id} stopped ({how}) while answering; "
            "it restarts on the next request"
        )

    async def stop(self) -> None:
        """End the engine: close its stdin (it exits at once), then SIGTERM, then SIGKILL."""
        async with self._lock:
            proc, self._proc, self._conn = self._proc, None, None
            self._stopping = True
            if proc is not None and proc.returncode is None:
                if proc.stdin is not None:
                    proc.stdin.close()
                try:
                    await asyncio.wait_for(proc.wait(), STOP_GRACE)
                except TimeoutError:
                    await self._kill(proc)
            for task in list(self._tasks):
                task.cancel()
            self.crashes = 0

    async def _kill(self, proc: asyncio.subprocess.Process) -> None:
        for send in (proc.terminate, proc.kill):
            if proc.returncode is not None:
                return
            with contextlib.suppress(ProcessLookupError):
                send()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), STOP_GRACE)
