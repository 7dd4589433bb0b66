"""The workspace and notes pages' lists owlet has nothing for yet: the truthful empty answer
in Open WebUI's shape, for verified users (pending: 403, anonymous: 401)."""

from __future__ import annotations

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup

EMPTY_PAGE = {"items": [], "total": 0}


async def test_prompts_and_notes_lists_are_empty_pages(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        user = await add_user(client, admin["token"], "Uma")
        pending = await add_user(client, admin["token"], "Pat", role="pending")
        cases = {
            "/api/v1/prompts/list?page=1": EMPTY_PAGE,
            "/api/v1/prompts/list?order_by=updated_at&direction=desc&page=1": EMPTY_PAGE,
            "/api/v1/prompts/tags": [],
            "/api/v1/notes/search?query=&order_by=updated_at&direction=desc&page=1": EMPTY_PAGE,
        }
        for path, empty in cases.items():
            for who in (admin, user):
                response = await client.get(path, headers=bearer(who["token"]))
                assert response.status_code == 200 and response.json() == empty, path
            assert (await client.get(path)).status_code == 401
            assert (await client.get(path, headers=bearer(pending["token"]))).status_code == 403
        bad = await client.get("/api/v1/notes/search?page=x", headers=bearer(user["token"]))
        assert bad.status_code == 422
