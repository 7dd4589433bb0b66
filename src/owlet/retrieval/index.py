"""Indexing text into collections and searching them: chunk → embed → store, query → top k."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from owlet.config.store import ConfigStore
from owlet.providers.http import UpstreamClient
from owlet.retrieval.chunking import split_text
from owlet.retrieval.embedders import Embedder, embedder_for
from owlet.retrieval.local_embedder import LocalEmbedder
from owlet.retrieval.store import EmbeddedStore, Hit, Item, VectorStore


def file_collection(file_id: str) -> str:
    return f"file-{file_id}"


class Retrieval:
    """One per process: the vector store and the (lazily loaded) local embedder."""

    def __init__(self, data_dir: Path, upstream: UpstreamClient) -> None:
        self.store: VectorStore = EmbeddedStore(data_dir / "vector_db")
        self.local = LocalEmbedder()
        self.upstream = upstream

    def embedder(self, config: ConfigStore) -> Embedder:
        return embedder_for(config, self.upstream, self.local)

    async def index_text(
        self, config: ConfigStore, collection: str, text: str, metadata: dict[str, Any]
    ) -> int:
        """Chunk and embed `text` into `collection`; each chunk carries `metadata`."""
        chunks = split_text(
            text, int(config.get("rag.chunk_size")), int(config.get("rag.chunk_overlap"))
        )
        if not chunks:
            return 0
        embedder = self.embedder(config)
        vectors = await embedder.embed([c.text for c in chunks])
        items = [
            Item(
                id=hashlib.sha256(
                    f"{collection}:{metadata.get('file_id')}:{c.start}".encode()
                ).hexdigest()[:32],
                text=c.text,
                metadata={**metadata, "start_index": c.start, "embedding_model": embedder.name},
            )
            for c in chunks
        ]
        await self.store.add(collection, items, vectors)
        return len(items)

    async def copy(self, source: str, target: str, metadata: dict[str, Any]) -> int:
        """The source collection's chunks added to `target` (no re-embedding)."""
        rows = await self.store.items(source)
        if not rows:
            return 0
        items = [Item(i.id, i.text, {**i.metadata, **metadata}) for i, _ in rows]
        await self.store.add(target, items, [v for _, v in rows])
        return len(items)

    async def search(
        self, config: ConfigStore, collections: Sequence[str], query: str, k: int
    ) -> list[Hit]:
        if not collections:
            return []
        (vector,) = await self.embedder(config).embed([query])
        hits = await self.store.search(collections, vector, k)
        threshold = float(config.get("rag.relevance_threshold") or 0.0)
        return [h for h in hits if h.score >= threshold]


def nested(hits: Sequence[Hit]) -> dict[str, list[list[Any]]]:
    """Chroma-style nested lists, as `/api/v1/retrieval/query/*` answers."""
    return {
        "ids": [[h.id for h in hits]],
        "documents": [[h.text for h in hits]],
        "metadatas": [[h.metadata for h in hits]],
        "distances": [[h.score for h in hits]],
    }
