"""Foundation figures: boot time to first /health 200, idle RSS, an API-key GET's req/s.

Usage: .venv/bin/python bench/foundation.py [--seconds 10] [--concurrency 32]
       [--database-url postgresql://postgres@127.0.0.1:5432/<scratch db>] [--owlet PATH]

Starts `owlet serve` (one worker, fresh SQLite DATA_DIR) as `make run` would: once on the
empty database (`first_boot_to_health_s`: migrations included), then again on the same one
(`boot_to_health_s`, the usual start). `--owlet` names another install's `owlet` command: the
default is this checkout's `.venv`, which also holds the test tools (`make run` installs
fewer packages, and the idle RSS is lower there). Then it signs up an
admin, creates an API key, then drives GET /api/v1/users/user/settings (a light route that
takes keys; `GET /api/v1/auths/` refuses them, as Open WebUI 0.12.4 does) with
`Authorization: Bearer sk-…` from a separate process. Uses `wrk` when installed, else an
httpx load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OWLET = ROOT / ".venv" / "bin" / "owlet"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import free_port, rss_mib  # noqa: E402


def wait_healthy(base: str, proc: subprocess.Popen[bytes], started: float) -> float:
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"owlet exited with {proc.returncode} before /health answered")
        try:
            if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.005)


def boot_once(owlet: str, env: dict[str, str], base: str) -> float:
    """Seconds from start to the first /health 200, then the server is stopped."""
    started = time.perf_counter()
    proc = subprocess.Popen([owlet, "serve"], env=env)
    try:
        return wait_healthy(base, proc, started)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


async def httpx_load(url: str, key: str, seconds: float, concurrency: int) -> tuple[int, int]:
    done = errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, headers={"Authorization": f"Bearer {key}"}) as c:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                response = await c.get(url)
                if response.status_code == 200:
                    done += 1
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--owlet", default=str(OWLET), help="the owlet command to start")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="owlet-bench-") as data_dir:
        env = {**os.environ, "PORT": str(port), "DATA_DIR": data_dir, "GLOBAL_LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        env.pop("REDIS_URL", None)
        first_boot = boot_once(args.owlet, env, base)
        started = time.perf_counter()
        proc = subprocess.Popen([args.owlet, "serve"], env=env)
        try:
            boot = wait_healthy(base, proc, started)
            signup = httpx.post(
                f"{base}/api/v1/auths/signup",
                json={"name": "Bench", "email": "bench@example.com", "password": "bench-pass-1"},
            ).json()
            token = signup["token"]
            key = httpx.post(
                f"{base}/api/v1/auths/api_key", headers={"Authorization": f"Bearer {token}"}
            ).json()["api_key"]
            time.sleep(2)
            idle = rss_mib(proc.pid)
            url = f"{base}/api/v1/users/user/settings"
            if shutil.which("wrk"):
                out = subprocess.run(
                    [
                        "wrk",
                        "-t2",
                        f"-c{args.concurrency}",
                        f"-d{int(args.seconds)}s",
                        "-H",
                        f"Authorization: Bearer {key}",
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                rps = float(
                    next(
                        line.split()[1]
                        for line in out.splitlines()
                        if line.startswith("Requests/sec")
                    )
                )
                tool, errors = "wrk", 0
            else:
                done, errors = asyncio.run(httpx_load(url, key, args.seconds, args.concurrency))
                rps, tool = done / args.seconds, "httpx"
            loaded = rss_mib(proc.pid)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
    result = {
        "first_boot_to_health_s": round(first_boot, 3),
        "boot_to_health_s": round(boot, 3),
        "idle_rss_mib": round(idle, 1),
        "rss_after_load_mib": round(loaded, 1),
        "user_settings_api_key_rps": round(rps, 1),
        "load_errors": errors,
        "load_tool": tool,
        "concurrency": args.concurrency,
        "python": sys.version.split()[0],
        "database": "postgresql" if args.database_url else "sqlite",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
