"""Gateway test helpers: fake upstreams wired into owlet, and owlet as a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.upstream import FakeUpstream
from tests.support import PASSWORD, Backend

UPSTREAM_KEY = "sk-upstream-secret"


def gateway_settings(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, Any]:
    """Settings overrides: one OpenAI-compatible connection and one Ollama node."""
    return {
        "enable_openai_api": True,
        "openai_api_base_urls": openai_up.openai_url,
        "openai_api_keys": UPSTREAM_KEY,
        "enable_ollama_api": True,
        "ollama_base_urls": ollama_up.url,
        "models_cache_ttl": 0.0,
    }


def as_env(settings: dict[str, Any]) -> dict[str, str]:
    return {key.upper(): str(value) for key, value in settings.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(proc: subprocess.Popen[bytes], url: str, name: str) -> None:
    """Poll `url` until it answers 200; RuntimeError if the process exits or 120 s pass."""
    deadline = time.monotonic() + 120  # a loaded 2-core CI box can take most of a minute
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.05)


@contextmanager
def owlet_process(backend: Backend, data_dir: Path, env: dict[str, str]) -> Iterator[str]:
    """`owlet serve` in its own process on a free port; yields its base URL."""
    with owlet_server(backend, data_dir, env) as (base, _proc):
        yield base


@contextmanager
def owlet_server(
    backend: Backend, data_dir: Path, env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`owlet serve` in its own process on a free port; yields (base URL, the process)."""
    port = free_port()
    full_env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": backend.url,
        "PORT": str(port),
        "BCRYPT_ROUNDS": "4",
        "GLOBAL_LOG_LEVEL": "WARNING",
        "ENABLE_OPENAI_API": "false",
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_EVALUATION_ARENA_MODELS": "false",
        "ENABLE_LOCAL_MODELS": "false",
        "ENABLE_FRONTEND": "false",
        **env,
    }
    proc = subprocess.Popen([sys.executable, "-m", "owlet", "serve"], env=full_env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, f"{base}/health", "owlet")
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def admin_key(base: str) -> str:
    """Sign up the first (admin) account on a fresh server and return its API key."""
    signup = httpx.post(
        f"{base}/api/v1/auths/signup",
        json={"name": "Ada", "email": "ada@example.com", "password": PASSWORD},
    )
    signup.raise_for_status()
    token = signup.json()["token"]
    key = httpx.post(f"{base}/api/v1/auths/api_key", headers={"Authorization": f"Bearer {token}"})
    key.raise_for_status()
    return str(key.json()["api_key"])


def established_to(port: int) -> int:
    """Open TCP connections to 127.0.0.1:`port` on this machine (from /proc/net/tcp)."""
    count = 0
    target = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2] == target and fields[3] == "01":  # remote address, state ESTABLISHED
            count += 1
    return count


def children(pid: int) -> list[int]:
    """The processes `pid` has started (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """A process that runs (a zombie waiting for its parent does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
