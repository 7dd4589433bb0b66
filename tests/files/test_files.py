"""`/api/v1/files` through HTTP: uploads, extraction, status, downloads, limits, ownership."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient
from tests.files.samples import docx, pdf
from tests.support import add_user, bearer, signup


async def upload(
    client: httpx.AsyncClient,
    token: str,
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    **params: Any,
) -> httpx.Response:
    extra = {"data": {"metadata": params.pop("metadata")}} if "metadata" in params else {}
    return await client.post(
        "/api/v1/files/",
        headers=bearer(token),
        files={"file": (name, data, content_type)},
        params=params,
        **extra,
    )


async def wait_done(client: httpx.AsyncClient, token: str, file_id: str) -> str:
    for _ in range(200):
        status = await client.get(f"/api/v1/files/{file_id}/process/status", headers=bearer(token))
        if status.json()["status"] in ("completed", "failed"):
            return str(status.json()["status"])
        await asyncio.sleep(0.02)
    raise AssertionError("processing did not finish")


@pytest.mark.parametrize(
    ("name", "data", "content_type", "expected"),
    [
        ("notes.txt", b"Everest is 8,849 m tall.", "text/plain", "Everest is 8,849 m tall."),
        (
            "notes.md",
            b"# Title\n\nSome *markdown*.",
            "text/markdown",
            "# Title\n\nSome *markdown*.",
        ),
        ("table.csv", b"peak,height\nEverest,8849\n", "text/csv", "peak, height\nEverest, 8849"),
        ("data.json", b'{"peak":"K2"}', "application/json", '{\n  "peak": "K2"\n}'),
        (
            "page.html",
            b"<html><script>x()</script><p>Hello <b>there</b></p><p>again</p></html>",
            "text/html",
            "Hello there\nagain",
        ),
        (
            "doc.pdf",
            pdf("Everest is 8849 metres tall"),
            "application/pdf",
            "Everest is 8849 metres tall",
        ),
        (
            "doc.docx",
            docx(["Hello docx"]),
            "application/octet-stream",
            "Hello docx\ncell one | cell two",
        ),
    ],
)
async def test_upload_extracts_text(
    client: httpx.AsyncClient, name: str, data: bytes, content_type: str, expected: str
) -> None:
    ada = await signup(client, "Ada")
    made = await upload(client, ada["token"], name, data, content_type, metadata='{"tag": "x"}')
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["status"] is True and body["filename"] == name
    assert body["meta"]["size"] == len(data) and body["meta"]["data"] == {"tag": "x"}
    assert body["path"] != name and name not in body["path"]  # a server-made name
    assert await wait_done(client, ada["token"], body["id"]) == "completed"
    text = await client.get(
        f"/api/v1/files/{body['id']}/data/content", headers=bearer(ada["token"])
    )
    assert text.json() == {"content": expected}
    got = (await client.get(f"/api/v1/files/{body['id']}", headers=bearer(ada["token"]))).json()
    assert got["hash"] and got["data"]["status"] == "completed"


async def test_status_stream_and_foreground_processing(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    now = await upload(client, ada["token"], "a.txt", b"hello", process_in_background="false")
    assert now.json()["data"] == {"status": "completed", "content": "hello", "error": None}
    streamed = await client.get(
        f"/api/v1/files/{now.json()['id']}/process/status?stream=true", headers=bearer(ada["token"])
    )
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")
    ]
    assert events == [{"status": "completed"}]
    image = await upload(client, ada["token"], "p.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")
    assert await wait_done(client, ada["token"], image.json()["id"]) == "failed"
    failed = await client.get(
        f"/api/v1/files/{image.json()['id']}/process/status?stream=true",
        headers=bearer(ada["token"]),
    )
    event = json.loads(failed.text.split("data: ", 1)[1])
    assert event["status"] == "failed" and "image/png is not supported" in event["error"]
    raw = await upload(client, ada["token"], "p.png", b"\x89PNG", "image/png", process="false")
    assert "status" not in raw.json() and raw.json()["data"] == {}


async def test_limits_and_bad_input(make_client: MakeClient, tmp_path: Path) -> None:
    async with make_client(
        rag_file_max_size=0.001, rag_allowed_file_extensions="txt,pdf"
    ) as client:
        ada = await signup(client, "Ada")
        big = await upload(client, ada["token"], "big.txt", b"x" * 2000)
        assert big.status_code == 413
        assert big.json()["detail"].startswith(
            "Oops! The file you're trying to upload is too large."
        )
        blocked = await upload(client, ada["token"], "run.exe", b"MZ")
        assert (
            blocked.status_code == 400
            and blocked.json()["detail"] == "[ERROR: File type exe is not allowed]"
        )
        bad_meta = await upload(client, ada["token"], "a.txt", b"a", metadata="{not json")
        assert (
            bad_meta.status_code == 400
            and bad_meta.json()["detail"] == "[ERROR: Invalid metadata format]"
        )
        missing = await client.post("/api/v1/files/", headers=bearer(ada["token"]))
        assert missing.status_code == 422
        listed = await client.get("/api/v1/files/", headers=bearer(ada["token"]))
        assert listed.json() == {"items": [], "total": 0}  # nothing half-written
        uploads = tmp_path / "data" / "uploads"
        assert not uploads.exists() or list(uploads.iterdir()) == []


async def test_list_search_rename_download_delete(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    ada = await signup(client, "Ada")
    headers = bearer(ada["token"])
    ids = {}
    for name, data, ctype in (
        ("a.txt", b"alpha", "text/plain"),
        ("b.html", b"<p>beta</p>", "text/html"),
        ("c.pdf", pdf("gamma"), "application/pdf"),
    ):
        made = await upload(client, ada["token"], name, data, ctype, process_in_background="false")
        ids[name] = made.json()["id"]
    listed = (await client.get("/api/v1/files/?content=false", headers=headers)).json()
    assert listed["total"] == 3 and all("content" not in f["data"] for f in listed["items"])
    window = (await client.get("/api/v1/files/?skip=1&limit=1", headers=headers)).json()
    assert len(window["items"]) == 1 and window["total"] == 3
    assert (await client.get("/api/v1/files/count", headers=headers)).json() == 3
    found = await client.get("/api/v1/files/search", headers=headers, params={"filename": "*.txt"})
    assert [f["filename"] for f in found.json()] == ["a.txt"]
    none = await client.get("/api/v1/files/search", headers=headers, params={"filename": "*.zip"})
    assert (
        none.status_code == 404 and none.json()["detail"] == "No files found matching the pattern."
    )

    text = await client.get(f"/api/v1/files/{ids['a.txt']}/content", headers=headers)
    assert text.content == b"alpha" and text.headers["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in text.headers
    html = await client.get(f"/api/v1/files/{ids['b.html']}/content", headers=headers)
    assert html.headers["content-disposition"].startswith("attachment")  # never rendered
    shown = await client.get(f"/api/v1/files/{ids['c.pdf']}/content", headers=headers)
    assert shown.headers["content-disposition"].startswith("inline")
    forced = await client.get(
        f"/api/v1/files/{ids['a.txt']}/content?attachment=true", headers=headers
    )
    assert forced.headers["content-disposition"] == "attachment; filename*=UTF-8''a.txt"
    named = await client.get(f"/api/v1/files/{ids['a.txt']}/content/a.txt", headers=headers)
    assert named.content == b"alpha"

    renamed = await client.post(
        f"/api/v1/files/{ids['a.txt']}/rename", headers=headers, json={"filename": "z.txt"}
    )
    assert renamed.json()["filename"] == "z.txt" and renamed.json()["meta"]["name"] == "z.txt"
    updated = await client.post(
        f"/api/v1/files/{ids['a.txt']}/data/content/update",
        headers=headers,
        json={"content": "edited"},
    )
    assert updated.json() == {"content": "edited"}
    path = tmp_path / "data" / "uploads" / renamed.json()["path"]
    assert path.read_bytes() == b"alpha"
    gone = await client.delete(f"/api/v1/files/{ids['a.txt']}", headers=headers)
    assert gone.json() == {"message": "File deleted successfully"}
    assert not path.exists()
    assert (await client.get(f"/api/v1/files/{ids['a.txt']}", headers=headers)).status_code == 404
    wiped = await client.delete("/api/v1/files/all", headers=headers)
    assert wiped.json() == {"message": "All files deleted successfully"}
    assert (await client.get("/api/v1/files/count", headers=headers)).json() == 0


async def test_other_users_files_are_404(client: httpx.AsyncClient) -> None:
    ada = await signup(client, "Ada")
    uma = await add_user(client, ada["token"], "Uma")
    eve = await add_user(client, ada["token"], "Eve")
    made = await upload(
        client, uma["token"], "secret.txt", b"secret", process_in_background="false"
    )
    file_id = made.json()["id"]
    as_eve = bearer(eve["token"])
    for method, path, body in (
        ("GET", "", None), ("GET", "/process/status", None), ("GET", "/data/content", None),
        ("POST", "/data/content/update", {"content": "x"}), ("GET", "/content", None),
        ("GET", "/content/html", None), ("GET", "/content/x.txt", None),
        ("POST", "/rename", {"filename": "x"}), ("DELETE", "", None),
    ):  # fmt: skip
        response = await client.request(
            method, f"/api/v1/files/{file_id}{path}", headers=as_eve, json=body
        )
        assert response.status_code == 404, (method, path)
        assert b"secret" not in response.content
    assert (await client.get("/api/v1/files/", headers=as_eve)).json()["total"] == 0
    wipe = await client.delete("/api/v1/files/all", headers=as_eve)
    assert wipe.status_code == 403
    kept = await client.get(f"/api/v1/files/{file_id}/content", headers=bearer(uma["token"]))
    assert kept.content == b"secret"


async def test_a_restart_finishes_unfinished_files(make_client: MakeClient) -> None:
    async with make_client() as client:
        ada = await signup(client, "Ada")
        made = await upload(client, ada["token"], "a.txt", b"resumed", process="false")
        file_id = made.json()["id"]
        container = client.app.state.container  # type: ignore[attr-defined]
        from owlet.tables import File

        async with container.sessionmaker() as session:  # as if the server died mid-way
            row = await session.get(File, file_id)
            row.data = {"status": "processing"}
            await session.commit()
    async with make_client() as client:  # the next start picks it up
        assert await wait_done(client, ada["token"], file_id) == "completed"
        text = await client.get(
            f"/api/v1/files/{file_id}/data/content", headers=bearer(ada["token"])
        )
        assert text.json() == {"content": "resumed"}
