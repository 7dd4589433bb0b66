"""Indexing text into collections and searching them: chunk → embed → store, query → top k."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from owlet.config.store import ConfigStore
from owlet.providers.http import UpstreamClient
from owlet.retrieval.chunking import split_text
from owlet.retrieval.embedders import Embedder, embedder_for
from owlet.retrieval.local_embedder import LocalEmbedder
from owlet.retrieval.pgvector import PgVectorStore
from owlet.retrieval.store import EmbeddedStore, Hit, Item, VectorStore


def file_collection(file_id: str) -> str:
    return f"file-{file_id}"


class Retrieval:
    """One per process: the vector store and the (lazily loaded) local embedder."""

    def __init__(
        self, data_dir: Path, upstream: UpstreamClient, pgvector_url: str | None = None
    ) -> None:
        self.store: VectorStore = (
            PgVectorStore(pgvector_url) if pgvector_url else EmbeddedStore(data_dir / "vector_db")
        )
        self.local = LocalEmbedder()
        self.upstream = upstream

    async def close(self) -> None:
        if isinstance(self.store, PgVectorStore):
            await self.store.close()

    def embedder(self, config: ConfigStore) -> Embedder:
        return embedder_for(config, self.upstream, self.local)

    async def index_text(
        self, config: ConfigStore, collection: str, text: str, metadata: dict[str, Any]
    ) -> int:
        """Chunk and embed `text` into `collection`; each chunk carries `metadata`."""
        items, vectors = await self.embed_chunks(config, collection, text, metadata)
        await self.store.add(collection, items, vectors)
        return len(items)

    async def embed_chunks(
        self, config: ConfigStore, collection: str, text: str, metadata: dict[str, Any]
    ) -> tuple[list[Item], list[list[float]]]:
        """The chunks of `text` and their vectors, not stored yet (chunking runs in a thread)."""
        import anyio

        size, overlap = int(config.get("rag.chunk_size")), int(config.get("rag.chunk_overlap"))
        chunks = await anyio.to_thread.run_sync(split_text, text, size, overlap)
        if not chunks:
            return [], []
        embedder = self.embedder(config)
        vectors = await embedder.embed([c.text for c in chunks])
        # Chunk ids are stable per document, so re-indexing one replaces its chunks; a text
        # without a file (process/text, process/web) is known by its content, or two such
        # texts in one collection would overwrite each other's chunks at the same offsets.
        document = metadata.get("file_id") or hashlib.sha256(text.encode()).hexdigest()[:32]
        key = f"{collection}:{document}"
        # Which embedder made the vectors, as Open WebUI records it: a JSON string.
        made_by = json.dumps({"engine": config.get("rag.embedding_engine") or "",
                              "model": embedder.name})  # fmt: skip
        items = [
            Item(
                id=hashlib.sha256(f"{key}:{c.start}".encode()).hexdigest()[:32],
                text=c.text,
                metadata={**metadata, "start_index": c.start, "embedding_config": made_by},
            )
            for c in chunks
        ]
        return items, vectors

    async def copy(self, source: str, target: str, metadata: dict[str, Any]) -> int:
        """The source collection's chunks added to `target` (no re-embedding)."""
        rows = await self.store.items(source)
        if not rows:
            return 0
        items = [Item(i.id, i.text, {**i.metadata, **metadata}) for i, _ in rows]
        await self.store.add(target, items, [v for _, v in rows])
        return len(items)

    async def search(
        self,
        config: ConfigStore,
        collections: Sequence[str],
        query: str,
        k: int,
        hybrid: bool | None = None,
    ) -> list[Hit]:
        """Top-k chunks by vector similarity, or with hybrid search (`ENABLE_RAG_HYBRID_SEARCH`)
        the vector and BM25 rankings fused, weighted by `RAG_HYBRID_BM25_WEIGHT`."""
        if not collections:
            return []
        (vector,) = await self.embedder(config).embed([query])
        use_hybrid = config.get("rag.enable_hybrid_search") if hybrid is None else hybrid
        if use_hybrid:
            weight = float(config.get("rag.hybrid_bm25_weight"))
            hits = await self._hybrid(collections, vector, query, k, weight)
        else:
            hits = await self.store.search(collections, vector, k)
        threshold = float(config.get("rag.relevance_threshold") or 0.0)
        return [h for h in hits if h.score >= threshold] if threshold > 0 else hits

    async def _hybrid(
        self,
        collections: Sequence[str],
        vector: Sequence[float],
        query: str,
        k: int,
        bm25_weight: float,
    ) -> list[Hit]:
        """Weighted reciprocal-rank fusion of the vector ranking and a BM25 ranking."""
        import anyio

        candidates: list[Hit] = []
        for name in collections:
            candidates += [
                Hit(name, i.id, i.text, i.metadata, 0.0) for i, _ in await self.store.items(name)
            ]
        if not candidates:
            return []
        by_vector = await self.store.search(collections, vector, max(k * 4, 20))
        bm25 = await anyio.to_thread.run_sync(_bm25_scores, [h.text for h in candidates], query)
        by_words = sorted(range(len(candidates)), key=lambda i: -bm25[i])[: max(k * 4, 20)]
        fused: dict[tuple[str, str], float] = {}
        vector_scores = {(h.collection, h.id): h.score for h in by_vector}
        for rank, hit in enumerate(by_vector):
            key = (hit.collection, hit.id)
            fused[key] = fused.get(key, 0.0) + (1 - bm25_weight) / (60 + rank)
        for rank, index in enumerate(by_words):
            key = (candidates[index].collection, candidates[index].id)
            fused[key] = fused.get(key, 0.0) + bm25_weight / (60 + rank)
        lookup = {(h.collection, h.id): h for h in candidates}
        best = sorted(fused, key=lambda key: -fused[key])[:k]
        return [
            Hit(key[0], key[1], lookup[key].text, lookup[key].metadata, vector_scores.get(key, 0.0))
            for key in best
            if key in lookup
        ]


def _bm25_scores(texts: list[str], query: str) -> list[float]:
    from rank_bm25 import BM25Okapi

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    scores = BM25Okapi([words(t) or [""] for t in texts]).get_scores(words(query))
    return [float(x) for x in scores]


def nested(hits: Sequence[Hit]) -> dict[str, list[list[Any]]]:
    """Chroma-style nested lists, as `/api/v1/retrieval/query/*` answers."""
    return {
        "ids": [[h.id for h in hits]],
        "documents": [[h.text for h in hits]],
        "metadatas": [[h.metadata for h in hits]],
        "distances": [[h.score for h in hits]],
    }
