"""Files uploaded for a knowledge base (`metadata.knowledge_id`), as the 0.12.4 web client does."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

KEEPER = "The keeper of the Bell Rock light in 1811 was Peter Logan, a friend of the engineer."


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def upload_for(client: httpx.AsyncClient, token: str, metadata: object) -> httpx.Response:
    return await client.post(
        "/api/v1/files/",
        headers=bearer(token),
        files={"file": ("keeper.txt", KEEPER.encode(), "text/plain")},
        data={"metadata": json.dumps(metadata)},
    )


async def test_an_upload_for_a_knowledge_base_is_linked_once_processed(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        kb = (await client.post("/api/v1/knowledge/create", headers=headers,
                                json={"name": "Keepers"})).json()  # fmt: skip
        made = await upload_for(client, ada["token"], {"knowledge_id": kb["id"]})
        assert made.status_code == 200, made.text
        file_id = made.json()["id"]
        pending_url = f"/api/v1/knowledge/{kb['id']}/files/pending"
        seen_pending = False
        for _ in range(400):  # the page polls this until the list is empty
            pending = await client.get(pending_url, headers=headers)
            assert pending.status_code == 200, pending.text
            if not pending.json():
                break
            seen_pending = True
            assert [f["id"] for f in pending.json()] == [file_id]
            await asyncio.sleep(0.025)
        else:
            raise AssertionError("the file never left processing")
        status = (await client.get(f"/api/v1/files/{file_id}", headers=headers)).json()
        assert status["data"]["status"] == "completed", (status, seen_pending)
        files = (await client.get(f"/api/v1/knowledge/{kb['id']}/files", headers=headers)).json()
        assert [f["id"] for f in files["items"]] == [file_id]
        found = await client.post(
            "/api/v1/retrieval/query/collection",
            headers=headers,
            json={"collection_names": [kb["id"]], "query": "Who kept the Bell Rock?", "k": 1},
        )
        assert found.json()["metadatas"][0][0]["file_id"] == file_id


async def test_an_upload_for_someone_elses_knowledge_base_is_refused(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        kb = (await client.post("/api/v1/knowledge/create", headers=bearer(ada["token"]),
                                json={"name": "Ada's"})).json()  # fmt: skip
        refused = await upload_for(client, uma["token"], {"knowledge_id": kb["id"]})
        assert refused.status_code == 404 and "detail" in refused.json()
        bad = await upload_for(client, uma["token"], {"knowledge_id": ["not", "an", "id"]})
        assert bad.status_code == 400
        mine = await client.get("/api/v1/files/", headers=bearer(uma["token"]))
        assert mine.json()["total"] == 0  # nothing was stored
        peek = await client.get(
            f"/api/v1/knowledge/{kb['id']}/files/pending", headers=bearer(uma["token"])
        )
        assert peek.status_code == 404


async def test_knowledge_files_are_searched_across_readable_bases(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    """The model editor's file picker: `GET /api/v1/knowledge/search/files`."""
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        for who, name in ((ada, "Ada's"), (ada, "Ada's second")):
            kb = (await client.post("/api/v1/knowledge/create", headers=bearer(who["token"]),
                                    json={"name": name})).json()  # fmt: skip
            made = await client.post(
                "/api/v1/files/",
                headers=bearer(who["token"]),
                files={"file": (f"{name}_100%.txt", KEEPER.encode(), "text/plain")},
                data={"metadata": json.dumps({"knowledge_id": kb["id"]})},
                params={"process_in_background": "false"},
            )
            assert made.status_code == 200, made.text
        url = "/api/v1/knowledge/search/files"
        everything = (await client.get(url, headers=bearer(ada["token"]))).json()
        assert set(everything) == {"items", "directories", "breadcrumbs", "total"}
        assert everything["total"] == 2
        others = (await client.get(url, headers=bearer(uma["token"]))).json()
        assert others["items"] == [] and others["total"] == 0  # private bases stay private
        found = await client.get(url, params={"query": "SECOND_"}, headers=bearer(ada["token"]))
        assert [f["filename"] for f in found.json()["items"]] == ["Ada's second_100%.txt"]
        literal = await client.get(url, params={"query": "a_a"}, headers=bearer(ada["token"]))
        assert literal.json()["total"] == 0  # `_` is a character, not a wildcard
        assert "content" not in found.json()["items"][0]["data"]


async def test_voices_and_model_defaults_for_the_model_editor(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    assert (await client.get("/api/v1/audio/voices", headers=headers)).json() == {"voices": []}
    defaults = await client.get("/api/v1/configs/models/defaults", headers=headers)
    assert defaults.json() == {"DEFAULT_MODEL_METADATA": {}}
