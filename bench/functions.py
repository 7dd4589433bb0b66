"""The cost of a no-op filter chain: one filter with inlet, stream and outlet, on a 200-token
stream, against the same requests with the filter switched off.

    .venv/bin/python bench/functions.py [--requests N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import OWLET, FakeProcess, free_port, pct, wait_healthy  # noqa: E402

NOOP = """
class Filter:
    def inlet(self, body: dict) -> dict:
        return body

    def stream(self, event: dict) -> dict:
        return event

    def outlet(self, body: dict) -> dict:
        return body
"""
TOKENS = [f"t{i} " for i in range(200)]


def measure(client: httpx.Client, n: int) -> dict[str, float]:
    body = {"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    totals = []
    for _ in range(n):
        start = time.perf_counter()
        with client.stream("POST", "/api/chat/completions", json=body) as response:
            frames = sum(1 for line in response.iter_lines() if line.startswith("data:"))
        completed = {
            "model": "fake-gpt",
            "messages": [*body["messages"], {"role": "assistant", "content": "x"}],
        }
        client.post("/api/chat/completed", json=completed)
        totals.append(time.perf_counter() - start)
        assert frames >= 200, frames
    return {"p50_ms": round(pct(totals, 50) * 1000, 3), "p95_ms": round(pct(totals, 95) * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    fake = FakeProcess()
    fake.configure(TOKENS, 0.0)
    proc = None
    with tempfile.TemporaryDirectory(prefix="owlet-bench-fn-") as data_dir:
        try:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "PORT": str(port),
                "DATA_DIR": data_dir,
                "GLOBAL_LOG_LEVEL": "WARNING",
                "ENABLE_OPENAI_API": "true",
                "OPENAI_API_BASE_URLS": f"{fake.url}/v1",
                "OPENAI_API_KEYS": "sk-x",
                "ENABLE_OLLAMA_API": "false",
            }
            for name in ("DATABASE_URL", "REDIS_URL", "UVICORN_WORKERS"):
                env.pop(name, None)
            proc = subprocess.Popen([str(OWLET), "serve"], env=env)
            wait_healthy(base, proc)
            account = {"name": "B", "email": "b@example.com", "password": "bench-pass-1"}
            token = httpx.post(f"{base}/api/v1/auths/signup", json=account).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            results: dict[str, Any] = {}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                form = {"id": "noop", "name": "noop", "content": NOOP, "meta": {}}
                client.post("/api/v1/functions/create", json=form).raise_for_status()
                client.post("/api/v1/functions/id/noop/toggle/global")
                measure(client, 20)  # warm up
                results["without_filter"] = measure(client, args.requests)
                client.post("/api/v1/functions/id/noop/toggle")  # active: it runs now
                time.sleep(1.1)  # the active-filter list is re-read
                measure(client, 20)
                results["with_noop_filter"] = measure(client, args.requests)
            added = results["with_noop_filter"]["p50_ms"] - results["without_filter"]["p50_ms"]
            results["added_p50_ms"] = round(added, 3)
            results["added_per_chunk_us_if_all_in_stream"] = round(added * 1000 / len(TOKENS), 2)
            print(json.dumps(results, indent=2))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
            fake.close()


if __name__ == "__main__":
    main()
