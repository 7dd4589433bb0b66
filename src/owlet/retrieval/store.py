"""Vector stores (`VECTOR_DB`): the seam, and the embedded default.

The embedded store keeps each collection as a numpy matrix in memory and on disk under
`DATA_DIR/vector_db/<collection>/`, one segment file pair (`.npy` vectors, `.json` ids, texts
and metadata) per write, so adding never rewrites what is there; deleting (and replacing)
rewrites the collection once, into one segment whose JSON names the segments it replaces:
the rewrite counts the moment that JSON is in place, and segments a crash left behind are
ignored by every later load and removed by the next rewrite. Search is exact: one matrix
product over the normalised vectors (cosine), which measured ~6 ms for 100k × 384 on this
machine. Blocking numpy work runs in a thread.

Limits (docs/retrieval.md): the data of a collection must fit in memory; with several worker
processes each keeps its own copy and reloads a collection when its directory changed, so a
write in one worker is seen by the others at their next search of that collection.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


@dataclass(frozen=True)
class Hit:
    collection: str
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, higher is closer


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    metadata: dict[str, Any]


class VectorStore(Protocol):
    async def add(
        self,
        collection: str,
        items: Sequence[Item],
        vectors: Sequence[Sequence[float]],
    ) -> None: ...

    async def search(
        self, collections: Sequence[str], vector: Sequence[float], k: int
    ) -> list[Hit]: ...

    async def items(self, collection: str) -> list[tuple[Item, list[float]]]: ...

    async def delete(self, collection: str, metadata_key: str, value: Any) -> int: ...

    async def replace(
        self,
        collection: str,
        metadata_key: str,
        value: Any,
        items: Sequence[Item],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        """In one step: the items whose metadata `metadata_key` is `value` deleted, `items`
        added. A reader sees the old set or the new one, never neither."""
        ...

    async def drop(self, collection: str) -> None: ...

    async def exists(self, collection: str) -> bool: ...


def check_name(collection: str) -> str:
    if not _SAFE.match(collection):
        raise ValueError(f"invalid collection name {collection!r}")
    return collection


@dataclass
class _Collection:
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    matrix: Any = None  # numpy array (n, d), rows L2-normalised
    stamp: tuple[int, ...] = ()


def _live_segments(path: Path) -> list[tuple[Path, list[dict[str, Any]]]]:
    """The segments of a collection directory that count, with their rows: complete ones
    (JSON and vectors both there) that no other segment names as replaced."""
    segments: list[tuple[Path, list[dict[str, Any]]]] = []
    replaced: set[str] = set()
    for meta_file in sorted(path.glob("*.json")) if path.is_dir() else []:
        if not meta_file.with_suffix(".npy").exists():
            continue  # a segment being written by another process
        try:
            content = json.loads(meta_file.read_text())
        except FileNotFoundError:
            continue  # replaced and removed by another process meanwhile
        if isinstance(content, dict):  # a rewrite: {"rows": [...], "replaces": [names]}
            replaced.update(content.get("replaces", []))
            content = content["rows"]
        segments.append((meta_file, content))
    return [(f, rows) for f, rows in segments if f.stem not in replaced]


class EmbeddedStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, _Collection] = {}
        self._lock = threading.RLock()

    def _dir(self, collection: str) -> Path:
        return self.root / check_name(collection)

    # -------------------------------------------------------- disk (blocking)

    def _stamp(self, path: Path) -> tuple[int, ...]:
        if not path.is_dir():
            return ()
        return tuple(sorted(int(p.stat().st_mtime_ns) for p in path.glob("*.json")))

    def _load(self, collection: str) -> _Collection:
        import numpy as np

        path = self._dir(collection)
        stamp = self._stamp(path)
        cached = self._cache.get(collection)
        if cached is not None and cached.stamp == stamp:
            return cached
        loaded = _Collection(stamp=stamp)
        matrices = []
        for meta_file, rows in _live_segments(path):
            vectors_file = meta_file.with_suffix(".npy")
            loaded.ids += [r["id"] for r in rows]
            loaded.texts += [r["text"] for r in rows]
            loaded.metadatas += [r["metadata"] for r in rows]
            matrices.append(np.load(vectors_file))
        loaded.matrix = np.vstack(matrices) if matrices else None
        if len(set(loaded.ids)) != len(loaded.ids):  # an id added again: the last one counts
            last = {item_id: i for i, item_id in enumerate(loaded.ids)}
            keep = sorted(last.values())
            loaded.ids = [loaded.ids[i] for i in keep]
            loaded.texts = [loaded.texts[i] for i in keep]
            loaded.metadatas = [loaded.metadatas[i] for i in keep]
            loaded.matrix = loaded.matrix[np.array(keep)]
        self._cache[collection] = loaded
        return loaded

    def _write_segment(
        self, path: Path, items: Sequence[Item], vectors: Any, replaces: Sequence[str] = ()
    ) -> Path:
        """Writes a segment; returns its JSON file."""
        import numpy as np

        path.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        rows = [{"id": i.id, "text": i.text, "metadata": i.metadata} for i in items]
        vectors_tmp, rows_tmp = path / f".{name}.npy.tmp", path / f".{name}.json.tmp"
        with vectors_tmp.open("wb") as out:
            np.save(out, vectors)
        vectors_tmp.replace(path / f"{name}.npy")
        rows_tmp.write_text(json.dumps({"rows": rows, "replaces": list(replaces)}))
        rows_tmp.replace(path / f"{name}.json")  # the segment counts once its JSON is in place
        return path / f"{name}.json"

    def _normalised(self, items: Sequence[Item], vectors: Sequence[Sequence[float]]) -> Any:
        import numpy as np

        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or len(matrix) != len(items):
            raise ValueError("one vector per item is needed")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None)

    def _check_dims(self, collection: str, data: _Collection, matrix: Any) -> None:
        if data.matrix is not None and data.matrix.shape[1] != matrix.shape[1]:
            raise ValueError(
                f"collection {collection} holds {data.matrix.shape[1]}-dimensional vectors; "
                f"these have {matrix.shape[1]} (was the embedding model changed?)"
            )

    def _add(
        self, collection: str, items: Sequence[Item], vectors: Sequence[Sequence[float]]
    ) -> None:
        matrix = self._normalised(items, vectors)
        with self._lock:
            self._check_dims(collection, self._load(collection), matrix)
            self._write_segment(self._dir(collection), items, matrix)
            self._cache.pop(collection, None)

    def _search(self, collections: Sequence[str], vector: Sequence[float], k: int) -> list[Hit]:
        import numpy as np

        query = np.asarray(vector, dtype=np.float32)
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        hits: list[Hit] = []
        with self._lock:
            loaded = [(name, self._load(name)) for name in collections]
        for name, data in loaded:
            if data.matrix is None or not len(data.ids):
                continue
            if data.matrix.shape[1] != query.shape[0]:
                raise ValueError(
                    f"collection {name} holds {data.matrix.shape[1]}-dimensional vectors; "
                    f"the query has {query.shape[0]}"
                )
            scores = data.matrix @ query
            top = np.argsort(-scores)[:k] if len(scores) > k else np.argsort(-scores)
            hits += [
                Hit(name, data.ids[i], data.texts[i], data.metadatas[i], float(scores[i]))
                for i in top
            ]
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def _items(self, collection: str) -> list[tuple[Item, list[float]]]:
        with self._lock:
            data = self._load(collection)
        if data.matrix is None:
            return []
        return [
            (Item(data.ids[i], data.texts[i], data.metadatas[i]), data.matrix[i].tolist())
            for i in range(len(data.ids))
        ]

    def _delete(self, collection: str, key: str, value: Any) -> int:
        return self._rewrite(collection, key, value, [], None)

    def _replace(
        self,
        collection: str,
        key: str,
        value: Any,
        items: Sequence[Item],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        if len(items) != len(vectors):
            raise ValueError("one vector per item is needed")
        matrix = self._normalised(items, vectors) if items else None
        self._rewrite(collection, key, value, items, matrix)

    def _rewrite(
        self, collection: str, key: str, value: Any, new: Sequence[Item], matrix: Any
    ) -> int:
        """The items whose metadata `key` is `value` dropped and `new` (rows of `matrix`)
        added, written as one segment that replaces every segment there now."""
        import numpy as np

        with self._lock:
            data = self._load(collection)
            if new:
                self._check_dims(collection, data, matrix)
            keep = [i for i, m in enumerate(data.metadatas) if m.get(key) != value]
            removed = len(data.ids) - len(keep)
            if not removed and not new:
                return 0
            path = self._dir(collection)
            old = sorted(path.glob("*.json")) if path.is_dir() else []
            items = [Item(data.ids[i], data.texts[i], data.metadatas[i]) for i in keep]
            parts = [data.matrix[np.array(keep)]] if keep else []
            if new:
                items += new
                parts.append(matrix)
            # Nothing left: an empty segment still replaces the old ones, so a crash while
            # they are removed brings none of them back; it goes once they are gone.
            vectors = np.vstack(parts) if items else data.matrix[:0]
            written = self._write_segment(path, items, vectors, [f.stem for f in old])
            for file in old:
                file.with_suffix(".npy").unlink(missing_ok=True)
                file.unlink(missing_ok=True)
            if not items:
                written.unlink()
                written.with_suffix(".npy").unlink()
            self._cache.pop(collection, None)
            return removed

    def _drop(self, collection: str) -> None:
        with self._lock:
            shutil.rmtree(self._dir(collection), ignore_errors=True)
            self._cache.pop(collection, None)

    # -------------------------------------------------------- async API

    async def add(
        self, collection: str, items: Sequence[Item], vectors: Sequence[Sequence[float]]
    ) -> None:
        if items:
            await anyio.to_thread.run_sync(self._add, collection, items, vectors)

    async def search(
        self, collections: Sequence[str], vector: Sequence[float], k: int
    ) -> list[Hit]:
        return await anyio.to_thread.run_sync(self._search, collections, vector, k)

    async def items(self, collection: str) -> list[tuple[Item, list[float]]]:
        return await anyio.to_thread.run_sync(self._items, collection)

    async def delete(self, collection: str, metadata_key: str, value: Any) -> int:
        return await anyio.to_thread.run_sync(self._delete, collection, metadata_key, value)

    async def replace(
        self,
        collection: str,
        metadata_key: str,
        value: Any,
        items: Sequence[Item],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        await anyio.to_thread.run_sync(
            self._replace, collection, metadata_key, value, items, vectors
        )

    async def drop(self, collection: str) -> None:
        await anyio.to_thread.run_sync(self._drop, collection)

    async def exists(self, collection: str) -> bool:
        path = self._dir(collection)
        return await anyio.to_thread.run_sync(lambda: path.is_dir() and any(path.glob("*.json")))
