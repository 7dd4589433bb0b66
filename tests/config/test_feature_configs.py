"""Admin settings owlet stores for tabs it has no engine behind: connections, code execution,
audio and images. Shapes and first values are Open WebUI 0.12.4's (peer-checked)."""

from __future__ import annotations

from typing import Any

import httpx

from owlet.config import features
from tests.conftest import MakeClient
from tests.support import PASSWORD, add_user, bearer, signup


async def _admin_and_user(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, str]]:
    admin = await signup(client, "Ada")
    user = await add_user(client, admin["token"], "Uma")
    return bearer(admin["token"]), bearer(user["token"])


async def _admin_only(
    client: httpx.AsyncClient, user: dict[str, str], method: str, path: str
) -> None:
    assert (await client.request(method, path, json={})).status_code == 401
    assert (await client.request(method, path, headers=user, json={})).status_code == 403


async def test_connections_config_round_trips_and_persists(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin, user = await _admin_and_user(client)
        path = "/api/v1/configs/connections"
        for method in ("GET", "POST"):
            await _admin_only(client, user, method, path)
        first = await client.get(path, headers=admin)
        assert first.status_code == 200
        assert first.json() == {
            "ENABLE_DIRECT_CONNECTIONS": False,
            "ENABLE_DIRECT_INTEGRATIONS": False,
            "ENABLE_BASE_MODELS_CACHE": False,
        }
        # Both are required, as in Open WebUI; a non-boolean is refused.
        missing = await client.post(path, headers=admin, json={"ENABLE_DIRECT_CONNECTIONS": True})
        assert missing.status_code == 422
        bad = {"ENABLE_DIRECT_CONNECTIONS": "x", "ENABLE_BASE_MODELS_CACHE": True}
        assert (await client.post(path, headers=admin, json=bad)).status_code == 422
        sent = {"ENABLE_DIRECT_CONNECTIONS": True, "ENABLE_BASE_MODELS_CACHE": True}
        saved = await client.post(path, headers=admin, json=sent)
        assert saved.status_code == 200
        assert saved.json() == {**sent, "ENABLE_DIRECT_INTEGRATIONS": False}
    async with make_client() as client:  # a restart reads them back from the database
        signin = {"email": "ada@example.com", "password": PASSWORD}
        token = (await client.post("/api/v1/auths/signin", json=signin)).json()["token"]
        again = await client.get(path, headers=bearer(token))
        assert again.json()["ENABLE_DIRECT_CONNECTIONS"] is True
        # owlet has no direct connections, so the web client is not told they are on.
        config = (await client.get("/api/config", headers=bearer(token))).json()
        assert config["features"]["enable_direct_connections"] is False


def _code_execution(**changes: Any) -> dict[str, Any]:
    body = {wire: value for wire, _key, _kind, value in features.CODE_EXECUTION}
    return {**body, **changes}


async def test_code_execution_config(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin, user = await _admin_and_user(client)
        path = "/api/v1/configs/code_execution"
        for method in ("GET", "POST"):
            await _admin_only(client, user, method, path)
        first = (await client.get(path, headers=admin)).json()
        assert first["ENABLE_CODE_EXECUTION"] is False and first["ENABLE_CODE_INTERPRETER"] is False
        assert first["CODE_EXECUTION_ENGINE"] == first["CODE_INTERPRETER_ENGINE"] == "pyodide"
        assert first["CODE_EXECUTION_JUPYTER_TIMEOUT"] == 60
        assert len(first) == 15
        # every field is required, the engine is pyodide or jupyter
        partial = await client.post(path, headers=admin, json={"ENABLE_CODE_EXECUTION": True})
        assert partial.status_code == 422
        wrong = _code_execution(CODE_EXECUTION_ENGINE="docker")
        assert (await client.post(path, headers=admin, json=wrong)).status_code == 422
        body = _code_execution(
            ENABLE_CODE_EXECUTION=True,
            CODE_INTERPRETER_ENGINE="jupyter",
            CODE_INTERPRETER_JUPYTER_URL="http://jupyter:8888",
            CODE_INTERPRETER_JUPYTER_TIMEOUT=120,
        )
        saved = await client.post(path, headers=admin, json=body)
        assert saved.status_code == 200 and saved.json() == body
        assert (await client.get(path, headers=admin)).json() == body
        features_now = (await client.get("/api/config", headers=admin)).json()["features"]
        assert features_now["enable_code_execution"] is False  # stored, not run


async def test_audio_config(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin, user = await _admin_and_user(client)
        await _admin_only(client, user, "GET", "/api/v1/audio/config")
        await _admin_only(client, user, "POST", "/api/v1/audio/config/update")
        first = (await client.get("/api/v1/audio/config", headers=admin)).json()
        assert set(first) == {"realtime", "tts", "stt"}
        assert first["tts"]["MODEL"] == "tts-1" and first["tts"]["VOICE"] == "alloy"
        assert first["tts"]["SPLIT_ON"] == "punctuation" and first["tts"]["ENGINE"] == ""
        assert (
            first["stt"]["WHISPER_MODEL"] == "base" and "mp3" in first["stt"]["ALLOWED_EXTENSIONS"]
        )
        assert first["realtime"]["ENABLED"] is False
        tts = {**first["tts"], "ENGINE": "openai", "VOICE": "nova"}
        del tts["OPENAI_PARAMS"]  # optional: kept when left out
        stt = {**first["stt"], "ENGINE": "whisper"}
        saved = await client.post(
            "/api/v1/audio/config/update", headers=admin, json={"tts": tts, "stt": stt}
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["tts"]["VOICE"] == "nova" and saved.json()["tts"]["OPENAI_PARAMS"] == {}
        assert saved.json()["realtime"] == first["realtime"]
        assert (await client.get("/api/v1/audio/config", headers=admin)).json() == saved.json()
        missing = await client.post("/api/v1/audio/config/update", headers=admin, json={"tts": tts})
        assert missing.status_code == 422
        no_model = {k: v for k, v in tts.items() if k != "MODEL"}
        bad = await client.post(
            "/api/v1/audio/config/update", headers=admin, json={"tts": no_model, "stt": stt}
        )
        assert bad.status_code == 422


async def test_images_config(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin, user = await _admin_and_user(client)
        await _admin_only(client, user, "GET", "/api/v1/images/config")
        await _admin_only(client, user, "POST", "/api/v1/images/config/update")
        first = (await client.get("/api/v1/images/config", headers=admin)).json()
        assert len(first) == 33
        assert first["ENABLE_IMAGE_GENERATION"] is False and first["IMAGE_SIZE"] == "512x512"
        assert first["IMAGE_STEPS"] == 50 and first["IMAGE_GENERATION_ENGINE"] == "openai"
        body = {**first, "IMAGE_SIZE": "1024x1024", "IMAGE_STEPS": 30}
        saved = await client.post("/api/v1/images/config/update", headers=admin, json=body)
        assert saved.status_code == 200 and saved.json() == body
        assert (await client.get("/api/v1/images/config", headers=admin)).json() == body
        wrong = {**first, "IMAGE_STEPS": "many"}
        assert (
            await client.post("/api/v1/images/config/update", headers=admin, json=wrong)
        ).status_code == 422
        config = (await client.get("/api/config", headers=admin)).json()
        assert config["features"]["enable_image_generation"] is False
