"""Knowledge bases, retrieval queries and RAG in chat, through HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.completions.test_chat import sse_chunks
from tests.conftest import MakeClient
from tests.fakes.upstream import FakeUpstream
from tests.files.samples import pdf
from tests.gateway import gateway_settings
from tests.support import add_user, bearer, signup

EVEREST = (
    "Mount Everest is Earth's highest mountain above sea level, at 8,849 metres. "
    "It lies in the Mahalangur Himal of the Himalayas, on the border of Nepal and China."
)
PASTA = "Carbonara is a Roman pasta dish made with eggs, hard cheese, cured pork and pepper."
EMPTY = (
    "The content provided is empty. Please ensure that there is text or data present "
    "before proceeding."
)


@pytest.fixture
def gw(openai_up: FakeUpstream, ollama_up: FakeUpstream) -> dict[str, object]:
    return gateway_settings(openai_up, ollama_up)


async def upload(client: httpx.AsyncClient, token: str, name: str, text: str, **params: Any) -> str:
    made = await client.post(
        "/api/v1/files/",
        headers=bearer(token),
        files={"file": (name, text.encode(), "text/plain")},
        params=params,
    )
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


async def test_knowledge_and_queries(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        headers = bearer(ada["token"])
        everest = await upload(
            client, ada["token"], "everest.txt", EVEREST, process_in_background="false"
        )
        pasta = await upload(
            client, ada["token"], "pasta.txt", PASTA, process_in_background="false"
        )
        kb = (
            await client.post("/api/v1/knowledge/create", headers=headers, json={"name": "Notes"})
        ).json()
        added = await client.post(f"/api/v1/knowledge/{kb['id']}/files/batch/add", headers=headers,
                                  json=[{"file_id": everest}, {"file_id": pasta}])  # fmt: skip
        assert added.status_code == 200, added.text
        assert {f["id"] for f in added.json()["files"]} == {everest, pasta}

        found = await client.post(
            "/api/v1/retrieval/query/collection",
            headers=headers,
            json={
                "collection_names": [kb["id"]],
                "query": "How high is the tallest mountain?",
                "k": 2,
            },
        )
        assert found.status_code == 200, found.text
        body = found.json()
        assert set(body) == {"documents", "metadatas", "distances"}  # no ids, as 0.12.4
        assert body["documents"][0][0].startswith("Mount Everest")  # the nearest chunk first
        assert body["metadatas"][0][0]["file_id"] == everest
        assert body["distances"][0][0] > body["distances"][0][1]
        doc = await client.post(
            "/api/v1/retrieval/query/doc",
            headers=headers,
            json={"collection_name": f"file-{pasta}", "query": "Roman food"},
        )
        assert doc.json()["documents"][0][0].startswith("Carbonara")

        # Uma can read neither the knowledge base nor the files.
        as_uma = bearer(uma["token"])
        for name in (kb["id"], f"file-{everest}", "knowledge-bases"):
            payload = {"collection_name": name, "query": "x"}
            denied = await client.post("/api/v1/retrieval/query/doc", headers=as_uma, json=payload)
            assert denied.status_code == 403, payload
        assert (
            await client.get(f"/api/v1/knowledge/{kb['id']}", headers=as_uma)
        ).status_code == 404
        # Shared for reading, she may query it, but not change it.
        grant = [{"principal_type": "user", "principal_id": uma["id"], "permission": "read"}]
        await client.post(
            f"/api/v1/knowledge/{kb['id']}/access/update",
            headers=headers,
            json={"access_grants": grant},
        )
        shared = await client.post(
            "/api/v1/retrieval/query/doc",
            headers=as_uma,
            json={"collection_name": kb["id"], "query": "pasta"},
        )
        assert shared.status_code == 200
        refused = await client.post(f"/api/v1/knowledge/{kb['id']}/reset", headers=as_uma)
        assert refused.status_code == 403
        listed = (await client.get("/api/v1/knowledge/", headers=as_uma)).json()
        assert [k["id"] for k in listed["items"]] == [kb["id"]] and listed["items"][0][
            "write_access"
        ] is False

        removed = await client.post(
            f"/api/v1/knowledge/{kb['id']}/file/remove?delete_file=false",
            headers=headers,
            json={"file_id": pasta},
        )
        assert [f["id"] for f in removed.json()["files"]] == [everest]
        query = {"collection_name": kb["id"], "query": "pasta", "k": 5}
        after = await client.post("/api/v1/retrieval/query/doc", headers=headers, json=query)
        assert all(m["file_id"] == everest for m in after.json()["metadatas"][0])
        assert (
            await client.delete(f"/api/v1/knowledge/{kb['id']}/delete", headers=headers)
        ).json() is True


async def test_adding_an_unprocessed_file_is_400(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        raw = await upload(client, ada["token"], "later.txt", EVEREST, process="false")
        kb = (
            await client.post("/api/v1/knowledge/create", headers=headers, json={"name": "K"})
        ).json()
        early = await client.post(
            f"/api/v1/knowledge/{kb['id']}/file/add", headers=headers, json={"file_id": raw}
        )
        assert early.status_code == 400 and early.json()["detail"] == EMPTY
        assert (await client.get(f"/api/v1/knowledge/{kb['id']}/files", headers=headers)).json()[
            "total"
        ] == 0


async def test_chat_with_files_cites_sources(
    make_client: MakeClient, gw: dict[str, object], openai_up: FakeUpstream
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        uma = await add_user(client, ada["token"], "Uma")
        headers = bearer(ada["token"])
        everest = await upload(
            client, ada["token"], "everest.txt", EVEREST, process_in_background="false"
        )
        body = {
            "model": "fake-gpt",
            "messages": [{"role": "user", "content": "How tall is Everest?"}],
            "files": [{"type": "file", "id": everest}],
        }
        reply = await client.post("/api/chat/completions", headers=headers, json=body)
        assert reply.status_code == 200, reply.text
        sources = reply.json()["sources"]
        assert sources[0]["source"] == {"type": "file", "id": everest}
        assert sources[0]["document"][0].startswith("Mount Everest")
        sent = openai_up.requests_to("/v1/chat/completions")[-1].json
        prompt = sent["messages"][-1]["content"]
        assert '<source id="1" name="everest.txt">Mount Everest' in prompt
        assert prompt.rstrip().endswith("How tall is Everest?") and "files" not in sent

        streamed = await client.post(
            "/api/chat/completions", headers=headers, json={**body, "stream": True}
        )
        frames = sse_chunks(streamed.text)
        assert isinstance(frames[0], dict) and frames[0]["sources"][0]["source"]["id"] == everest

        # Someone else's file is refused, never silently used.
        upstream_calls = len(openai_up.requests_to("/v1/chat/completions"))
        everyone = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
        await client.post(
            "/api/v1/models/model/access/update",
            headers=headers,
            json={"id": "fake-gpt", "access_grants": everyone},
        )
        refused = await client.post(
            "/api/chat/completions", headers=bearer(uma["token"]), json=body
        )
        assert refused.status_code == 404
        assert len(openai_up.requests_to("/v1/chat/completions")) == upstream_calls


def test_the_seed_workflow_as_written(gateway_server: tuple[str, str], tmp_path: Path) -> None:
    """Seed page 003's complete RAG workflow, as written but for the host and the model."""
    import requests

    base, key = gateway_server
    WEBUI_URL, TOKEN = base, key  # noqa: N806 - the seed's names
    document = tmp_path / "document.pdf"
    document.write_bytes(pdf("The Rongbuk Glacier lies on the north side of Mount Everest"))
    knowledge = requests.post(
        f"{WEBUI_URL}/api/v1/knowledge/create",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"name": "Mountains", "description": "Notes"},
    ).json()

    def upload_and_add_to_knowledge(file_path: Path, knowledge_id: str, timeout: int = 300) -> Any:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
        with open(file_path, "rb") as f:
            response = requests.post(
                f"{WEBUI_URL}/api/v1/files/", headers=headers, files={"file": f}
            )
        if response.status_code != 200:
            raise Exception(f"Upload failed: {response.text}")
        file_id = response.json()["id"]
        start_time = time.time()
        while time.time() - start_time < timeout:
            status_data = requests.get(
                f"{WEBUI_URL}/api/v1/files/{file_id}/process/status", headers=headers
            ).json()
            status = status_data.get("status")
            if status == "completed":
                break
            elif status == "failed":
                raise Exception(f"Processing failed: {status_data.get('error')}")
            time.sleep(0.2)  # the seed polls every 2 s
        else:
            raise TimeoutError("File processing timed out")
        add_response = requests.post(
            f"{WEBUI_URL}/api/v1/knowledge/{knowledge_id}/file/add",
            headers={**headers, "Content-Type": "application/json"},
            json={"file_id": file_id},
        )
        if add_response.status_code != 200:
            raise Exception(f"Failed to add to knowledge: {add_response.text}")
        return add_response.json()

    def wait_for_file_processing_stream(token: str, file_id: str) -> Any:
        url = f"{WEBUI_URL}/api/v1/files/{file_id}/process/status?stream=true"
        with requests.get(
            url, headers={"Authorization": f"Bearer {token}"}, stream=True
        ) as response:
            for line in response.iter_lines():
                if line:
                    line = line.decode("utf-8")
                    if line.startswith("data: "):
                        data = json.loads(line[6:])
                        if data.get("status") == "completed":
                            return data
                        elif data.get("status") == "failed":
                            raise Exception(f"File processing failed: {data.get('error')}")
        raise Exception("Stream ended unexpectedly")

    def chat_with_collection(token: str, model: str, query: str, collection_id: str) -> Any:
        payload = {
            "model": model,
            "messages": [{"role": "user", "content": query}],
            "files": [{"type": "collection", "id": collection_id}],
        }
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return requests.post(
            f"{WEBUI_URL}/api/chat/completions", headers=headers, json=payload
        ).json()

    result = upload_and_add_to_knowledge(document, knowledge["id"])
    assert [f["meta"]["name"] for f in result["files"]] == ["document.pdf"]
    second = requests.post(
        f"{WEBUI_URL}/api/v1/files/",
        headers={"Authorization": f"Bearer {TOKEN}"},
        files={"file": ("notes.txt", EVEREST.encode())},
    ).json()
    assert wait_for_file_processing_stream(TOKEN, second["id"]) == {"status": "completed"}
    answer = chat_with_collection(
        TOKEN, "fake-gpt", "Which glacier lies north of Everest?", knowledge["id"]
    )
    assert answer["choices"][0]["message"]["content"] == "Hello, world!"
    cited = answer["sources"][0]
    assert cited["source"] == {"type": "collection", "id": knowledge["id"]}
    assert "Rongbuk Glacier" in cited["document"][0]
    assert cited["metadata"][0]["name"] == "document.pdf"


async def test_hybrid_search_and_config(make_client: MakeClient, gw: dict[str, object]) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        texts = [
            "Invoice INV-7731 was paid in full on the third of March.",
            "Payments are usually settled at the end of each month.",
            "The museum opens at nine and closes at five.",
        ]
        for i, text in enumerate(texts):
            await upload(client, ada["token"], f"t{i}.txt", text, process_in_background="false")
        kb = (
            await client.post("/api/v1/knowledge/create", headers=headers, json={"name": "K"})
        ).json()
        files = (await client.get("/api/v1/files/", headers=headers)).json()["items"]
        await client.post(f"/api/v1/knowledge/{kb['id']}/files/batch/add", headers=headers,
                          json=[{"file_id": f["id"]} for f in files])  # fmt: skip
        query = {"collection_name": kb["id"], "query": "INV-7731", "k": 1, "hybrid": True}
        found = await client.post("/api/v1/retrieval/query/doc", headers=headers, json=query)
        assert found.json()["documents"][0] == [texts[0]]  # the exact keyword wins
        config = (await client.get("/api/v1/retrieval/config", headers=headers)).json()
        assert (
            config["TOP_K"] == 3 and config["CHUNK_SIZE"] == 1000 and config["CHUNK_OVERLAP"] == 100
        )
        updated = await client.post(
            "/api/v1/retrieval/config/update",
            headers=headers,
            json={"TOP_K": 5, "ENABLE_RAG_HYBRID_SEARCH": True},
        )
        assert updated.json()["TOP_K"] == 5 and updated.json()["ENABLE_RAG_HYBRID_SEARCH"] is True
        embedding = (await client.get("/api/v1/retrieval/embedding", headers=headers)).json()
        assert embedding["RAG_EMBEDDING_ENGINE"] == ""
        assert embedding["RAG_EMBEDDING_MODEL"] == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    ("engine", "model", "path"),
    [("openai", "fake-gpt", "/v1/embeddings"), ("ollama", "fake-llama:latest", "/api/embed")],
)
async def test_remote_embedding_engines(
    make_client: MakeClient,
    gw: dict[str, object],
    openai_up: FakeUpstream,
    ollama_up: FakeUpstream,
    engine: str,
    model: str,
    path: str,
) -> None:
    settings = {**gw, "rag_embedding_engine": engine, "rag_embedding_model": model}
    async with make_client(**settings) as client:
        ada = await signup(client, "Ada")
        file_id = await upload(
            client, ada["token"], "e.txt", EVEREST, process_in_background="false"
        )
        up = openai_up if engine == "openai" else ollama_up
        assert up.requests_to(path), "the file was embedded upstream"
        found = await client.post(
            "/api/v1/retrieval/query/doc",
            headers=bearer(ada["token"]),
            json={"collection_name": f"file-{file_id}", "query": "Everest"},
        )
        assert found.status_code == 200, found.text
        made_by = json.loads(found.json()["metadatas"][0][0]["embedding_config"])
        assert made_by == {"engine": engine, "model": model}


async def test_editing_a_files_text_reindexes_it(
    make_client: MakeClient, gw: dict[str, object]
) -> None:
    async with make_client(**gw) as client:
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        file_id = await upload(client, ada["token"], "a.txt", PASTA, process_in_background="false")
        kb = (
            await client.post("/api/v1/knowledge/create", headers=headers, json={"name": "K"})
        ).json()
        await client.post(
            f"/api/v1/knowledge/{kb['id']}/file/add", headers=headers, json={"file_id": file_id}
        )
        edited = await client.post(
            f"/api/v1/files/{file_id}/data/content/update",
            headers=headers,
            json={"content": EVEREST},
        )
        assert edited.json() == {"content": EVEREST}
        for name in (f"file-{file_id}", kb["id"]):
            found = await client.post(
                "/api/v1/retrieval/query/doc",
                headers=headers,
                json={"collection_name": name, "query": "x", "k": 5},
            )
            assert found.json()["documents"][0] == [EVEREST], name


async def test_a_null_setting_leaves_the_retrieval_config_as_it_was(
    make_client: MakeClient,
) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        nulls = {"CHUNK_SIZE": None, "CHUNK_OVERLAP": None, "TOP_K": None}
        updated = await client.post("/api/v1/retrieval/config/update", headers=headers, json=nulls)
        assert updated.status_code == 200 and updated.json()["CHUNK_SIZE"] == 1000
        # Chunking still works (a stored null made it answer 500).
        indexed = await client.post(
            "/api/v1/retrieval/process/text", headers=headers, json={"content": "some words"}
        )
        assert indexed.status_code == 200, indexed.text
