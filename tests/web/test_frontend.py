"""Serving the web client: its files as built, the SPA fallback, cache rules, the routes its
pages read, and the API alone when it is off or not fetched."""

from __future__ import annotations

from pathlib import Path

from owlet.web import frontend_build
from tests.conftest import MakeClient
from tests.support import bearer, signup

INDEX = "<!doctype html><title>web client</title>"


def build(folder: Path) -> Path:
    """A small stand-in for the fetched build (the real one is opened in tests of the
    journeys): the same layout and the mark the fetch writes last."""
    (folder / "_app" / "immutable").mkdir(parents=True)
    (folder / "static").mkdir()
    (folder / "index.html").write_text(INDEX)
    (folder / "_app" / "immutable" / "start.abc123.js").write_text("console.log(1)")
    (folder / "_app" / "version.json").write_text('{"version": "x"}')
    (folder / "static" / "favicon.png").write_bytes(b"\x89PNG fake")
    (folder / frontend_build.MARK).write_text("test build\n")
    return folder


async def test_the_web_client_is_served(make_client: MakeClient, tmp_path: Path) -> None:
    folder = build(tmp_path / "build")
    async with make_client(enable_frontend=True, frontend_build_dir=folder) as client:
        home = await client.get("/")
        assert home.status_code == 200 and home.text == INDEX
        assert home.headers["cache-control"] == "no-cache"
        for route in ("/c/some-chat-id", "/auth", "/admin/settings/connections", "/workspace"):
            page = await client.get(route)  # client routes: the SPA's index
            assert page.status_code == 200 and page.text == INDEX, route
        asset = await client.get("/_app/immutable/start.abc123.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert "etag" in (await client.get("/_app/version.json")).headers
        missing_js = await client.get("/_app/immutable/gone.js")
        assert missing_js.status_code == 404 and missing_js.json() == {"detail": "Not Found"}
        icon = await client.get("/static/favicon.png")
        assert icon.status_code == 200 and icon.content == b"\x89PNG fake"
        for api in ("/api/v1/nope", "/ollama/nope/x", "/static/nope.png"):
            gone = await client.get(api)
            assert gone.status_code == 404 and gone.json() == {"detail": "Not Found"}, api
        posted = await client.post("/api/v1/nope", json={})
        assert posted.status_code in (404, 405) and "detail" in posted.json()
        escape = await client.get("/../../etc/passwd")
        assert escape.text == INDEX or escape.status_code == 404  # never the file


async def test_off_or_not_fetched_serves_the_api_alone(
    make_client: MakeClient, tmp_path: Path
) -> None:
    folder = build(tmp_path / "build")
    async with make_client(enable_frontend=False, frontend_build_dir=folder) as client:
        assert (await client.get("/")).status_code == 404
    half = tmp_path / "half"
    half.mkdir()
    (half / "index.html").write_text(INDEX)  # no mark: an interrupted fetch
    async with make_client(enable_frontend=True, frontend_build_dir=half) as client:
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/health")).json() == {"status": True}


async def test_the_small_routes_its_pages_read(make_client: MakeClient) -> None:
    banner = [{"id": "b1", "type": "info", "content": "Maintenance at noon", "dismissible": True,
               "timestamp": 1}]  # fmt: skip
    async with make_client(webui_banners=banner) as client:
        notes = await client.get("/api/changelog")  # public
        release = notes.json()["0.1.0"]
        assert release["date"] and release["added"][0]["title"]
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        banners = (await client.get("/api/v1/configs/banners", headers=headers)).json()
        assert banners[0]["content"] == "Maintenance at noon" and banners[0]["title"] is None
        changed = await client.post("/api/v1/configs/banners", headers=headers,
                                    json={"banners": []})  # fmt: skip
        assert changed.status_code == 200 and changed.json() == []
        assert (await client.get("/api/v1/configs/banners", headers=headers)).json() == []
        bad = await client.post("/api/v1/configs/banners", headers=headers,
                                json={"banners": [{"id": "x", "type": "purple"}]})  # fmt: skip
        assert bad.status_code == 422
        for listing in (
            "/api/v1/tools/",
            "/api/v1/tools/list",
            "/api/v1/skills/",
            "/api/v1/channels/",
        ):
            assert (await client.get(listing, headers=headers)).json() == []
        # A model that is gone (a stale id in someone's settings) shows the default picture.
        unknown = await client.get("/api/v1/models/model/profile/image?id=nope", headers=headers)
        assert unknown.status_code == 200 and unknown.content[:4] == b"\x89PNG"


async def test_a_base_models_picture(make_client: MakeClient) -> None:
    from tests.fakes.upstream import FakeUpstream
    from tests.gateway import gateway_settings

    with FakeUpstream(models=["fake-gpt"]) as up:
        async with make_client(**gateway_settings(up, up)) as client:
            ada = await signup(client, "Ada")
            picture = await client.get(
                "/api/v1/models/model/profile/image?id=fake-gpt", headers=bearer(ada["token"])
            )
            assert picture.status_code == 200
            assert picture.headers["content-type"] == "image/png"
            assert picture.content[:4] == b"\x89PNG"


async def test_manifest_opensearch_and_cache(make_client: MakeClient, tmp_path: Path) -> None:
    async with make_client(webui_name="Owl & Co", webui_url="https://owl.example") as client:
        manifest = (await client.get("/manifest.json")).json()
        assert manifest["name"] == "Owl & Co" and manifest["start_url"] == "/"
        assert {i["purpose"] for i in manifest["icons"]} == {"any", "maskable"}
        search = await client.get("/opensearch.xml")
        assert search.headers["content-type"].startswith("application/xml")
        assert "<ShortName>Owl &amp; Co</ShortName>" in search.text
        assert 'template="https://owl.example/?q={searchTerms}"' in search.text
        cache = tmp_path / "data" / "cache"
        (cache / "image").mkdir(parents=True)
        (cache / "image" / "a.png").write_bytes(b"\x89PNG")
        (cache / "notes.html").write_text("<script>alert(1)</script>")
        assert (await client.get("/cache/image/a.png")).status_code == 401  # verified only
        ada = await signup(client, "Ada")
        headers = bearer(ada["token"])
        image = await client.get("/cache/image/a.png", headers=headers)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.headers["x-content-type-options"] == "nosniff"
        page = await client.get("/cache/notes.html", headers=headers)
        assert page.headers["content-disposition"].startswith("attachment")
        for bad in ("/cache/../webui.db", "/cache/%2e%2e/.webui_secret_key", "/cache/nope.png"):
            gone = await client.get(bad, headers=headers)
            assert gone.status_code == 404, bad
