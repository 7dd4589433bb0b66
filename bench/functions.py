"""The cost of a no-op filter chain on a 200-token stream (plus the seed's
`/api/chat/completed` call), against the same requests with no filter: a filter with only
`inlet` and `outlet` (the cost per request), one with only `stream` (the cost per chunk),
and one with all three.

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

HOOKS = {
    "inlet": "    def inlet(self, body: dict) -> dict:\n        return body\n",
    "stream": "    def stream(self, event: dict) -> dict:\n        return event\n",
    "outlet": "    def outlet(self, body: dict) -> dict:\n        return body\n",
}
VARIANTS = {
    "inlet_outlet": ("inlet", "outlet"),
    "stream": ("stream",),
    "inlet_stream_outlet": ("inlet", "stream", "outlet"),
}


def source(hooks: tuple[str, ...]) -> str:
    return "class Filter:\n" + "\n".join(HOOKS[h] for h in hooks)


TOKENS = [f"t{i} " for i in range(200)]


def one(client: httpx.Client, model: str) -> float:
    """A streamed completion read to its end, then the seed's /api/chat/completed: seconds."""
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    start = time.perf_counter()
    with client.stream("POST", "/api/chat/completions", json=body) as response:
        frames = sum(1 for line in response.iter_lines() if line.startswith("data:"))
    completed = {
        "model": model,
        "messages": [*body["messages"], {"role": "assistant", "content": "x"}],
    }
    client.post("/api/chat/completed", json=completed).raise_for_status()
    took = time.perf_counter() - start
    assert frames >= 200, frames
    return took


def measure(client: httpx.Client, models: list[str], n: int) -> dict[str, list[float]]:
    """`n` rounds, each one request per model in turn, so drift hits every model alike."""
    times: dict[str, list[float]] = {m: [] for m in models}
    for _ in range(n):
        for model in models:
            times[model].append(one(client, model))
    return times


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
                # Each variant is a model (on the same upstream model) with its filter attached
                # through meta.filterIds; "none" has no filter.
                models = ["none", *VARIANTS]
                for name, hooks in VARIANTS.items():
                    form = {"id": name, "name": name, "content": source(hooks), "meta": {}}
                    client.post("/api/v1/functions/create", json=form).raise_for_status()
                    client.post(f"/api/v1/functions/id/{name}/toggle").raise_for_status()
                for name in models:
                    ids = [] if name == "none" else [name]
                    client.post(
                        "/api/v1/models/create",
                        json={"id": name, "base_model_id": "fake-gpt", "name": name,
                              "meta": {"filterIds": ids}, "params": {}},
                    ).raise_for_status()  # fmt: skip
                measure(client, models, 10)  # warm up
                times = measure(client, models, args.requests)
            base_ms = pct(times["none"], 50) * 1000
            for name in models:
                p50 = pct(times[name], 50) * 1000
                results[name] = {
                    "p50_ms": round(p50, 3),
                    "p95_ms": round(pct(times[name], 95) * 1000, 3),
                    "added_p50_ms": round(p50 - base_ms, 3),
                }
            added = results["stream"]["added_p50_ms"]
            results["stream"]["added_per_chunk_us"] = round(added * 1000 / len(TOKENS), 2)
            print(json.dumps(results, indent=2))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
            fake.close()


if __name__ == "__main__":
    main()
