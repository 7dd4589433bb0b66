"""The admin "Evaluations" page's reads: with no feedback stored (owlet keeps none yet) they
answer Open WebUI's empty shapes, for admins only."""

from __future__ import annotations

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup


async def test_feedback_list_and_leaderboard_are_empty(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        user = await add_user(client, admin["token"], "Uma")
        cases = {
            "/api/v1/evaluations/feedbacks/list?order_by=updated_at&direction=desc&page=1": {
                "items": [],
                "total": 0,
            },
            "/api/v1/evaluations/leaderboard?query=": {"entries": []},
        }
        for path, empty in cases.items():
            response = await client.get(path, headers=bearer(admin["token"]))
            assert response.status_code == 200 and response.json() == empty
            assert (await client.get(path)).status_code == 401
            assert (await client.get(path, headers=bearer(user["token"]))).status_code == 403
        bad = await client.get(
            "/api/v1/evaluations/feedbacks/list?page=x", headers=bearer(admin["token"])
        )
        assert bad.status_code == 422
