"""The pgvector store (`VECTOR_DB=pgvector`, `PGVECTOR_DB_URL`): one table on a PostgreSQL
server that has the `vector` extension. Search is exact cosine distance (`<=>`), so any
embedding size works in one table; shared by every worker."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from owlet.retrieval.store import Hit, Item, check_name

TABLE = "owlet_vector"


def _literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def async_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


class PgVectorStore:
    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self._engine: AsyncEngine | None = None

    async def engine(self) -> AsyncEngine:
        if self._engine is None:
            engine = create_async_engine(self.url, pool_pre_ping=True)
            async with engine.begin() as conn:
                await conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
                await conn.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                        " collection text NOT NULL, id text NOT NULL, text text NOT NULL,"
                        " metadata jsonb NOT NULL, embedding vector NOT NULL,"
                        " PRIMARY KEY (collection, id))"
                    )
                )
            self._engine = engine
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    async def add(
        self, collection: str, items: Sequence[Item], vectors: Sequence[Sequence[float]]
    ) -> None:
        check_name(collection)
        if len(items) != len(vectors):
            raise ValueError("one vector per item is needed")
        if not items:
            return
        engine = await self.engine()
        async with engine.begin() as conn:
            await _insert(conn, collection, items, vectors)

    async def replace(
        self,
        collection: str,
        metadata_key: str,
        value: Any,
        items: Sequence[Item],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        check_name(collection)
        if len(items) != len(vectors):
            raise ValueError("one vector per item is needed")
        engine = await self.engine()
        async with engine.begin() as conn:  # one transaction: readers see before or after
            await _delete(conn, collection, metadata_key, value)
            if items:
                await _insert(conn, collection, items, vectors)

    async def search(
        self, collections: Sequence[str], vector: Sequence[float], k: int
    ) -> list[Hit]:
        names = [check_name(c) for c in collections]
        engine = await self.engine()
        async with engine.connect() as conn:
            dims = await conn.scalar(
                text(
                    f"SELECT vector_dims(embedding) FROM {TABLE} WHERE collection = ANY(:n) LIMIT 1"
                ),
                {"n": names},
            )
            if dims is None:
                return []
            if dims != len(vector):
                raise ValueError(
                    f"the collections hold {dims}-dimensional vectors; the query has {len(vector)}"
                )
            result = await conn.execute(
                text(
                    f"SELECT collection, id, text, metadata, 1 - (embedding <=> CAST(:q AS vector))"
                    f" AS score FROM {TABLE} WHERE collection = ANY(:n)"
                    " ORDER BY embedding <=> CAST(:q AS vector) LIMIT :k"
                ),
                {"q": _literal(vector), "n": names, "k": k},
            )
            return [Hit(r[0], r[1], r[2], _meta(r[3]), float(r[4])) for r in result.all()]

    async def items(self, collection: str) -> list[tuple[Item, list[float]]]:
        engine = await self.engine()
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    f"SELECT id, text, metadata, embedding::text FROM {TABLE}"
                    " WHERE collection = :c ORDER BY id"
                ),
                {"c": check_name(collection)},
            )
            return [
                (Item(r[0], r[1], _meta(r[2])), [float(x) for x in json.loads(r[3])])
                for r in result.all()
            ]

    async def delete(self, collection: str, metadata_key: str, value: Any) -> int:
        engine = await self.engine()
        async with engine.begin() as conn:
            return await _delete(conn, check_name(collection), metadata_key, value)

    async def drop(self, collection: str) -> None:
        engine = await self.engine()
        async with engine.begin() as conn:
            await conn.execute(
                text(f"DELETE FROM {TABLE} WHERE collection = :c"), {"c": check_name(collection)}
            )

    async def exists(self, collection: str) -> bool:
        engine = await self.engine()
        async with engine.connect() as conn:
            found = await conn.scalar(
                text(f"SELECT 1 FROM {TABLE} WHERE collection = :c LIMIT 1"),
                {"c": check_name(collection)},
            )
            return found is not None


async def _insert(
    conn: AsyncConnection,
    collection: str,
    items: Sequence[Item],
    vectors: Sequence[Sequence[float]],
) -> None:
    rows = [
        {"c": collection, "i": item.id, "t": item.text, "m": json.dumps(item.metadata),
         "e": _literal(vector)}
        for item, vector in zip(items, vectors, strict=True)
    ]  # fmt: skip
    await conn.execute(
        text(
            f"INSERT INTO {TABLE} (collection, id, text, metadata, embedding)"
            " VALUES (:c, :i, :t, CAST(:m AS jsonb), CAST(:e AS vector))"
            " ON CONFLICT (collection, id) DO UPDATE SET text = EXCLUDED.text,"
            " metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding"
        ),
        rows,
    )


async def _delete(conn: AsyncConnection, collection: str, key: str, value: Any) -> int:
    result = await conn.execute(
        text(f"DELETE FROM {TABLE} WHERE collection = :c AND metadata -> :k = CAST(:v AS jsonb)"),
        {"c": collection, "k": key, "v": json.dumps(value)},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _meta(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}
