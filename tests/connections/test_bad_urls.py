"""A connection URL no request can be sent to (control characters, a host IDNA refuses) is
an unreachable upstream, never a 500: on verify (502), and when saved and then used."""

from __future__ import annotations

import pytest

from tests.conftest import MakeClient
from tests.support import bearer, signup

BAD_URLS = ["http://a\x02b/", "https://\U0004d253:o", "http://xn--/"]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_verifying_a_bad_url_is_a_502(make_client: MakeClient, url: str) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        for route in ("/openai/verify", "/ollama/verify"):
            response = await client.post(
                route,
                headers=bearer(admin["token"]),
                json={"url": url, "key": ""},
                extensions={"allow_5xx": True},
            )
            assert response.status_code == 502, (route, response.text)
            assert "detail" in response.json()


async def test_a_saved_bad_embedding_url_is_unreachable_when_used(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        saved = await client.post(
            "/api/v1/retrieval/embedding/update",
            headers=headers,
            json={
                "RAG_EMBEDDING_ENGINE": "openai",
                "RAG_EMBEDDING_MODEL": "m",
                "openai_config": {"url": BAD_URLS[0], "key": "k"},
            },  # fmt: skip
        )
        assert saved.status_code == 200, saved.text
        used = await client.post(
            "/api/v1/retrieval/process/text", headers=headers, json={"content": "words"}
        )
        # The upload-facing answer Embedding failed: <why> (400), as for any unreachable one.
        assert used.status_code == 400, used.text
        assert used.json()["detail"].endswith("Server Connection Error")
