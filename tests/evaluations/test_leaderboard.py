"""The admin leaderboard (`GET /api/v1/evaluations/leaderboard`): Elo ratings played from
stored ratings, with won/lost counts and each model's most frequent tags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import MakeClient
from tests.support import bearer, signup

BASE = "/api/v1/evaluations"


def match(model: str, rating: int, siblings: list[str], tags: list[str]) -> dict[str, Any]:
    data = {"rating": rating, "model_id": model, "sibling_model_ids": siblings, "tags": tags}
    return {"type": "rating", "data": data, "meta": {"arena": True}}


async def test_an_empty_server_has_an_empty_leaderboard(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        response = await client.get(f"{BASE}/leaderboard?query=", headers=bearer(admin["token"]))
        assert response.status_code == 200 and response.json() == {"entries": []}


async def test_wins_raise_a_models_rating_and_tags_are_counted(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        bodies = [
            match("alpha", 1, ["beta"], ["code", "python"]),
            match("alpha", 1, ["beta"], ["code"]),
            match("beta", -1, ["alpha"], ["maths"]),
            match("gamma", 1, [], ["code"]),  # no sibling: counted, but no Elo match
            {"type": "other", "data": {"model_id": "delta", "rating": 1}},  # not a rating
        ]
        for body in bodies:
            assert (await client.post(f"{BASE}/feedback", headers=headers, json=body)).is_success
        board = (await client.get(f"{BASE}/leaderboard", headers=headers)).json()["entries"]
        by_model = {e["model_id"]: e for e in board}
        assert set(by_model) == {"alpha", "beta", "gamma"}
        alpha, beta, gamma = by_model["alpha"], by_model["beta"], by_model["gamma"]
        assert (alpha["won"], alpha["lost"], alpha["count"]) == (3, 0, 3)
        assert (beta["won"], beta["lost"], beta["count"]) == (0, 3, 3)
        assert (gamma["won"], gamma["lost"], gamma["rating"]) == (1, 0, 1000)
        assert alpha["rating"] > 1000 > beta["rating"]
        assert alpha["rating"] + beta["rating"] == 2000  # Elo moves points, it makes none
        assert [e["model_id"] for e in board] == ["alpha", "gamma", "beta"]
        assert alpha["top_tags"] == [{"tag": "code", "count": 2}, {"tag": "python", "count": 1}]

        # A query keeps the ratings tagged with it.
        maths = await client.get(f"{BASE}/leaderboard?query=MATH", headers=headers)
        entries = {e["model_id"]: e for e in maths.json()["entries"]}
        assert set(entries) == {"alpha", "beta"}
        assert (entries["alpha"]["won"], entries["beta"]["lost"]) == (1, 1)


async def test_a_models_history_counts_wins_and_losses_per_day(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        for body in (
            match("openai/gpt-4o", 1, ["beta"], []),
            match("openai/gpt-4o", -1, [], []),
            match("beta", 1, ["openai/gpt-4o"], []),
            match("beta", 0, ["openai/gpt-4o"], []),  # a draw: neither won nor lost
        ):
            assert (await client.post(f"{BASE}/feedback", headers=headers, json=body)).is_success
        today = datetime.now(UTC).date().isoformat()
        path = f"{BASE}/leaderboard/openai%2Fgpt-4o/history"
        month = (await client.get(path, headers=headers)).json()
        assert month["model_id"] == "openai/gpt-4o" and len(month["history"]) == 30
        assert month["history"][-1] == {"date": today, "won": 1, "lost": 2}
        assert all(d["won"] == d["lost"] == 0 for d in month["history"][:-1])
        assert len((await client.get(f"{path}?days=365", headers=headers)).json()["history"]) == 365
        ever = await client.get(f"{path}?days=0", headers=headers)
        assert ever.json()["history"] == [{"date": today, "won": 1, "lost": 2}]
        beta = await client.get(f"{BASE}/leaderboard/beta/history?days=0", headers=headers)
        assert beta.json()["history"] == [{"date": today, "won": 1, "lost": 1}]
        unrated = await client.get(f"{BASE}/leaderboard/none/history?days=0", headers=headers)
        assert unrated.json() == {"model_id": "none", "history": []}
        assert (await client.get(f"{path}?days=-1", headers=headers)).status_code == 422
        assert (await client.get(path)).status_code == 401


async def test_a_nul_in_a_model_id_is_refused_not_sent_to_the_database(
    make_client: MakeClient,
) -> None:
    """PostgreSQL refuses NUL in text: found by tests/test_hostile_input.py as a 500."""
    async with make_client() as client:
        headers = bearer((await signup(client, "Ada"))["token"])
        for url in ("/api/v1/evaluations/leaderboard/a%00b/history",
                    "/api/v1/evaluations/feedbacks/list?model_id=%00",
                    "/api/v1/evaluations/feedbacks/all/export?model_id=%00",
                    "/api/v1/evaluations/leaderboard?query=%00"):  # fmt: skip
            answer = await client.get(url, headers=headers)
            assert answer.status_code == 422, (url, answer.text)
