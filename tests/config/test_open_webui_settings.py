"""Settings owlet stores without running answer and save under Open WebUI 0.12.4's names,
beside the ones it runs, on the admin, task, chats, retrieval and LDAP config routes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import MakeClient
from tests.support import bearer, signup

ADMIN_CONFIG = "/api/v1/auths/admin/config"


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _post(client: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any) -> Any:
    response = await client.post(path, headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_admin_config_keys_and_counts(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        config = await _get(client, ADMIN_CONFIG, admin)
        assert config["ADMIN_EMAIL"] is None
        assert config["ENABLE_LOGIN_FORM"] is True
        assert config["DEFAULT_INTERFACE_SETTINGS"] == {} and config["I18N"] == {}
        assert config["ENABLE_APPS"] is False and config["ENABLE_ENCRYPTED_CHANNELS"] is False
        assert config["SKILL_CONTENT_MAX_CHARS"] is None
        assert config["FOLDER_MAX_FILE_COUNT"] == ""  # unset, as Open WebUI has it
        assert config["AUTOMATION_MAX_COUNT"] == "" and config["AUTOMATION_MIN_INTERVAL"] == ""

        saved = await _post(client, ADMIN_CONFIG, admin, {
            **config, "FOLDER_MAX_FILE_COUNT": 5, "AUTOMATION_MAX_COUNT": "7",
            "I18N": {"fr": {"name": "Hibou"}}, "SKILL_CONTENT_MAX_CHARS": 900,
        })  # fmt: skip
        assert saved["sessions_revoked"] is False
        assert saved["FOLDER_MAX_FILE_COUNT"] == 5 and saved["AUTOMATION_MAX_COUNT"] == 7
        assert saved["I18N"] == {"fr": {"name": "Hibou"}}
        public = await _get(client, "/api/config", admin)
        assert public["i18n"] == {"fr": {"name": "Hibou"}}
        assert public["features"]["folder_max_file_count"] == 5

        # left out: kept; "" clears a count
        lean = {k: v for k, v in config.items() if k not in ("I18N", "SKILL_CONTENT_MAX_CHARS")}
        again = await _post(client, ADMIN_CONFIG, admin, {**lean, "FOLDER_MAX_FILE_COUNT": ""})
        assert again["I18N"] == {"fr": {"name": "Hibou"}}
        assert again["SKILL_CONTENT_MAX_CHARS"] == 900
        assert again["FOLDER_MAX_FILE_COUNT"] == ""
        for bad in ({"FOLDER_MAX_FILE_COUNT": "many"}, {"AUTOMATION_MAX_COUNT": -1}):
            refused = await client.post(ADMIN_CONFIG, headers=admin, json={**config, **bad})
            assert refused.status_code == 422, bad


async def test_admin_config_login_form_is_acted_on(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        config = await _get(client, ADMIN_CONFIG, admin)
        await _post(client, ADMIN_CONFIG, admin, {**config, "ENABLE_LOGIN_FORM": False})
        anon = (await client.get("/api/config")).json()
        assert anon["features"]["enable_login_form"] is False


async def test_task_and_chats_config_keep_stored_settings(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        tasks = await _get(client, "/api/v1/tasks/config", admin)
        assert tasks["ENABLE_AUTOCOMPLETE_GENERATION"] is False
        assert tasks["AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH"] == -1
        assert tasks["TASK_MODEL_PARAMS"] == {}
        saved = await _post(client, "/api/v1/tasks/config/update", admin, {
            **tasks, "QUERY_GENERATION_PROMPT_TEMPLATE": "Q?", "ENABLE_TITLE_GENERATION": False,
        })  # fmt: skip
        assert saved["QUERY_GENERATION_PROMPT_TEMPLATE"] == "Q?"
        kept = await _post(client, "/api/v1/tasks/config/update", admin, {"TASK_MODEL": ""})
        assert kept["QUERY_GENERATION_PROMPT_TEMPLATE"] == "Q?"
        assert kept["ENABLE_TITLE_GENERATION"] is False

        chats = await _get(client, "/api/v1/chats/config", admin)
        # unset cap reads as the threshold
        assert chats["CONTEXT_COMPACTION_TOKEN_CAP"] == chats["CONTEXT_COMPACTION_TOKEN_THRESHOLD"]
        assert chats["TOOL_SEARCH_ALWAYS_LOADED"] == [] and chats["ENABLE_TOOL_SEARCH"] is False
        saved = await _post(client, "/api/v1/chats/config", admin, {
            **chats, "CONTEXT_COMPACTION_TOKEN_THRESHOLD": 5000,
            "CONTEXT_COMPACTION_TOKEN_CAP": None, "TOOL_SEARCH_ALWAYS_LOADED": ["calc"],
        })  # fmt: skip
        assert saved["CONTEXT_COMPACTION_TOKEN_CAP"] == 5000
        assert (await _get(client, "/api/v1/chats/config", admin))["TOOL_SEARCH_ALWAYS_LOADED"] == [
            "calc"
        ]


async def test_retrieval_config_web_and_embedding(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = bearer((await signup(client, "Ada"))["token"])
        config = await _get(client, "/api/v1/retrieval/config", admin)
        assert config["TIKA_SERVER_URL"] == "http://tika:9998"
        assert config["web"]["ENABLE_WEB_SEARCH"] is False
        assert config["web"]["YOUTUBE_LOADER_LANGUAGE"] == ["en"]
        saved = await _post(client, "/api/v1/retrieval/config/update", admin, {
            "TOP_K": 4, "PDF_LOADER_MODE": "single", "web": {"SEARXNG_QUERY_URL": "http://s/q"},
        })  # fmt: skip
        assert saved["TOP_K"] == 4 and saved["PDF_LOADER_MODE"] == "single"
        assert saved["web"]["SEARXNG_QUERY_URL"] == "http://s/q"
        again = await _get(client, "/api/v1/retrieval/config", admin)
        assert again["web"]["SEARXNG_QUERY_URL"] == "http://s/q"
        assert again["web"]["SEARXNG_LANGUAGE"] == "all"  # left out: kept
        bad = await client.post("/api/v1/retrieval/config/update", headers=admin,
                                json={"web": {"WEB_SEARCH_RESULT_COUNT": "x"}})  # fmt: skip
        assert bad.status_code == 422

        embedding = await _get(client, "/api/v1/retrieval/embedding", admin)
        assert embedding["azure_openai_config"] == {"url": "", "key": "", "version": ""}
        assert embedding["RAG_EMBEDDING_CONCURRENT_REQUESTS"] == 0
        saved = await _post(client, "/api/v1/retrieval/embedding/update", admin, {
            "RAG_EMBEDDING_ENGINE": embedding["RAG_EMBEDDING_ENGINE"],
            "RAG_EMBEDDING_MODEL": embedding["RAG_EMBEDDING_MODEL"],
            "RAG_EMBEDDING_CONCURRENT_REQUESTS": 2,
            "azure_openai_config": {"url": "https://az.example", "key": "k", "version": "v1"},
        })  # fmt: skip
        assert saved["RAG_EMBEDDING_CONCURRENT_REQUESTS"] == 2
        assert saved["azure_openai_config"]["version"] == "v1"


async def test_public_config_banners_and_ldap(make_client: MakeClient) -> None:
    async with make_client() as client:
        anon = (await client.get("/api/config")).json()
        assert anon["i18n"] == {} and anon["features"]["slim"] is False
        admin = bearer((await signup(client, "Ada"))["token"])
        public = await _get(client, "/api/config", admin)
        assert public["default_prompt_suggestions"] is None
        assert public["file"]["image_compression"] == {"width": None, "height": None}
        assert public["audio"]["realtime"]["enabled"] is False
        assert public["ui"]["iframe_csp"] == "" and public["ui"]["visibility"] == {}
        assert public["features"]["enable_title_generation"] is True

        banner = {"id": "b1", "content": "Hi", "i18n": {"fr": {"content": "Salut"}}}
        saved = await _post(client, "/api/v1/configs/banners", admin, {"banners": [banner]})
        assert saved[0]["i18n"] == {"fr": {"content": "Salut"}}
        plain = await _post(client, "/api/v1/configs/banners", admin, {"banners": [{"id": "b2"}]})
        assert plain[0]["i18n"] is None

        ldap = await _get(client, "/api/v1/auths/admin/config/ldap/server", admin)
        assert ldap["default_email_domain"] == ""
        body = {**ldap, "app_dn": "cn=a", "app_dn_password": "p", "search_base": "dc=x",
                "default_email_domain": "example.com"}  # fmt: skip
        await _post(client, "/api/v1/auths/admin/config/ldap/server", admin, body)
        again = await _get(client, "/api/v1/auths/admin/config/ldap/server", admin)
        assert again["default_email_domain"] == "example.com"
