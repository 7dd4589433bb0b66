"""The `Embedder` seam (`RAG_EMBEDDING_ENGINE`): the local model, or an OpenAI-compatible or
Ollama upstream through the gateway's HTTP client."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import anyio

from owlet.config.store import ConfigStore
from owlet.providers.connections import (
    Connection,
    Kind,
    ollama_connections,
    openai_connections,
)
from owlet.providers.http import UpstreamClient, UpstreamError
from owlet.retrieval.local_embedder import LocalEmbedder

LOCAL_BATCH = 32  # texts per ONNX run: the local model is fastest in batches
_local_runs = anyio.CapacityLimiter(2)  # ONNX calls at once (each uses one core)


class EmbeddingError(Exception):
    """The embedder could not embed (message for the file's `error` or a 400)."""


class Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class LocalEngine:
    def __init__(self, model: LocalEmbedder) -> None:
        self.model = model
        self.name = model.name

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), LOCAL_BATCH):
            batch = list(texts[start : start + LOCAL_BATCH])
            vectors += await anyio.to_thread.run_sync(self.model.embed, batch, limiter=_local_runs)
        return vectors


class RemoteEngine:
    """`/embeddings` of an OpenAI-compatible server, or `/api/embed` of an Ollama node."""

    def __init__(self, upstream: UpstreamClient, conn: Connection, model: str, batch: int) -> None:
        self.upstream = upstream
        self.conn = conn
        self.name = model
        self.batch = max(1, batch)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            batch = list(texts[start : start + self.batch])
            try:
                vectors += await self._call(batch)
            except UpstreamError as exc:
                raise EmbeddingError(f"Embedding failed: {exc.message}") from exc
        return vectors

    async def _call(self, batch: list[str]) -> list[list[float]]:
        if self.conn.kind == "ollama":
            body = {"model": self.name, "input": batch}
            answer: Any = await self.upstream.request_json(
                self.conn, "POST", "/api/embed", json_body=body
            )
            vectors = answer.get("embeddings") if isinstance(answer, dict) else None
        else:
            body = {"model": self.name, "input": batch}
            answer = await self.upstream.request_json(
                self.conn, "POST", "/embeddings", json_body=body
            )
            data = answer.get("data") if isinstance(answer, dict) else None
            ordered = (
                sorted(data, key=lambda d: d.get("index", 0)) if isinstance(data, list) else []
            )
            vectors = [d.get("embedding") for d in ordered if isinstance(d, dict)]
        if not isinstance(vectors, list) or len(vectors) != len(batch):
            raise EmbeddingError("Embedding failed: the upstream sent no vectors")
        return _checked(vectors)


def embedder_for(config: ConfigStore, upstream: UpstreamClient, local: LocalEmbedder) -> Embedder:
    engine = config.get("rag.embedding_engine") or ""
    if engine == "":
        return LocalEngine(local)
    model = str(config.get("rag.embedding_model"))
    batch = int(config.get("rag.embedding_batch_size") or 1)
    if engine == "openai":
        url, key = config.get("rag.openai_api_base_url"), config.get("rag.openai_api_key")
        default = next(iter(openai_connections(config)), None)
        kind: Kind = "openai"
    else:
        url, key = config.get("rag.ollama_base_url"), config.get("rag.ollama_api_key")
        default = next(iter(ollama_connections(config)), None)
        kind = "ollama"
    if url:
        conn = Connection(kind, -1, str(url).rstrip("/"), str(key or ""))
    elif default is not None:
        conn = default
    else:
        raise EmbeddingError(f"No {engine} connection for embeddings")
    return RemoteEngine(upstream, conn, model, batch)


def _checked(vectors: list[Any]) -> list[list[float]]:
    """Lists of finite numbers, all of one length; anything else is the upstream's fault."""
    width = len(vectors[0]) if vectors and isinstance(vectors[0], list) else 0
    for vector in vectors:
        if (
            not isinstance(vector, list)
            or not vector
            or len(vector) != width
            or not all(
                isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
                for x in vector
            )
        ):
            raise EmbeddingError("Embedding failed: the upstream sent malformed vectors")
    return vectors
