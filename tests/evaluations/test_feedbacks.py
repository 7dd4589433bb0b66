"""Rating answers (`/api/v1/evaluations/feedback*`): what the web client posts when a user
clicks thumbs up or down, who may read, change and delete it, and the admin's views."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup

BASE = "/api/v1/evaluations"


def rating(model_id: str = "fake-gpt", rating: int = 1, **data: Any) -> dict[str, Any]:
    """The body the web client sends (Message rating in 0.12.4)."""
    return {
        "type": "rating",
        "data": {"rating": rating, "model_id": model_id, **data},
        "meta": {"arena": False, "model_id": model_id, "message_id": "m2", "message_index": 2,
                 "chat_id": "c1", "base_models": {model_id: None}},
        "snapshot": {"chat": {"id": "c1", "title": "T", "chat": {"messages": []}}},
    }  # fmt: skip


async def rate(client: httpx.AsyncClient, token: str, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(f"{BASE}/feedback", headers=bearer(token), json=rating(**kwargs))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_rating_is_stored_read_updated_and_deleted_by_its_owner(
    make_client: MakeClient,
) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        user = await add_user(client, admin["token"], "Uma")
        headers = bearer(user["token"])
        made = await rate(client, user["token"], sibling_model_ids=["other"], tags=["code"])
        assert set(made) == {"id", "user_id", "version", "type", "data", "meta", "snapshot",
                             "created_at", "updated_at"}  # fmt: skip
        assert made["user_id"] == user["id"] and made["type"] == "rating"
        assert made["version"] == 0
        assert made["data"] == {"rating": 1, "model_id": "fake-gpt",
                                "sibling_model_ids": ["other"], "tags": ["code"]}  # fmt: skip
        assert made["meta"]["message_index"] == 2 and made["meta"]["chat_id"] == "c1"
        assert made["snapshot"]["chat"]["title"] == "T"
        path = f"{BASE}/feedback/{made['id']}"
        assert (await client.get(path, headers=headers)).json() == made

        # Adding a reason re-sends the whole rating (the client's comment form).
        changed = rating(rating=-1, reason="Inaccurate", comment="wrong year",
                         details={"rating": 3}, tags=["history"])  # fmt: skip
        del changed["snapshot"]
        updated = (await client.post(path, headers=headers, json=changed)).json()
        assert updated["id"] == made["id"] and updated["created_at"] == made["created_at"]
        assert updated["data"]["rating"] == -1 and updated["data"]["reason"] == "Inaccurate"
        assert updated["data"]["details"] == {"rating": 3}
        assert updated["snapshot"] == made["snapshot"]  # none sent: the old one stays
        assert (await client.get(path, headers=headers)).json() == updated

        mine = await client.get(f"{BASE}/feedbacks/user", headers=headers)
        assert [f["id"] for f in mine.json()] == [made["id"]]
        assert "snapshot" not in mine.json()[0]

        deleted = await client.delete(path, headers=headers)
        assert deleted.status_code == 200 and deleted.json() is True
        gone = await client.get(path, headers=headers)
        assert gone.status_code == 404 and "detail" in gone.json()
        assert (await client.delete(path, headers=headers)).status_code == 404


async def test_another_users_feedback_is_not_found_but_an_admin_may_handle_it(
    make_client: MakeClient,
) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        uma = await add_user(client, admin["token"], "Uma")
        oto = await add_user(client, admin["token"], "Oto")
        made = await rate(client, uma["token"])
        path = f"{BASE}/feedback/{made['id']}"
        other = bearer(oto["token"])
        for response in (
            await client.get(path, headers=other),
            await client.post(path, headers=other, json=rating(rating=-1)),
            await client.delete(path, headers=other),
        ):
            assert response.status_code == 404
            assert response.json() == {"detail": "We could not find what you're looking for :/"}
        assert (await client.get(f"{BASE}/feedbacks/user", headers=other)).json() == []
        # Oto's "delete all mine" leaves Uma's alone.
        assert (await client.delete(f"{BASE}/feedbacks", headers=other)).json() is True
        assert (await client.get(path, headers=bearer(uma["token"]))).json()["data"]["rating"] == 1

        boss = bearer(admin["token"])
        assert (await client.get(path, headers=boss)).json()["user_id"] == uma["id"]
        updated = await client.post(path, headers=boss, json=rating(rating=-1))
        assert updated.json()["data"]["rating"] == -1 and updated.json()["user_id"] == uma["id"]
        assert (await client.delete(path, headers=boss)).json() is True


async def test_a_user_deletes_all_their_own_feedback_and_pages_through_it(
    make_client: MakeClient,
) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        uma = await add_user(client, admin["token"], "Uma")
        headers = bearer(uma["token"])
        made = [await rate(client, uma["token"], model_id=f"m{i}") for i in range(32)]
        kept = await rate(client, admin["token"])
        first = (await client.get(f"{BASE}/feedbacks/user?page=1", headers=headers)).json()
        second = (await client.get(f"{BASE}/feedbacks/user?page=2", headers=headers)).json()
        every = (await client.get(f"{BASE}/feedbacks/user", headers=headers)).json()
        assert (len(first), len(second), len(every)) == (30, 2, 32)
        assert {f["id"] for f in first + second} == {f["id"] for f in made}
        assert (await client.delete(f"{BASE}/feedbacks", headers=headers)).json() is True
        assert (await client.get(f"{BASE}/feedbacks/user", headers=headers)).json() == []
        admins = await client.get(f"{BASE}/feedback/{kept['id']}", headers=bearer(admin["token"]))
        assert admins.status_code == 200


async def test_the_admin_list_pages_sorts_filters_and_names_the_author(
    make_client: MakeClient,
) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        uma = await add_user(client, admin["token"], "Uma")
        boss = bearer(admin["token"])
        for i in range(31):
            await rate(client, uma["token"], model_id="alpha", rating=1 if i % 2 else -1)
        await rate(client, admin["token"], model_id="beta")
        listed = (await client.get(f"{BASE}/feedbacks/list", headers=boss)).json()
        assert listed["total"] == 32 and len(listed["items"]) == 30
        item = next(i for i in listed["items"] if i["user_id"] == uma["id"])
        assert item["user"] == {"id": uma["id"], "name": "Uma", "email": "uma@example.com",
                                "role": "user"}  # fmt: skip
        assert "snapshot" not in item
        second = (await client.get(f"{BASE}/feedbacks/list?page=2", headers=boss)).json()
        assert len(second["items"]) == 2 and second["total"] == 32
        seen = {i["id"] for i in listed["items"] + second["items"]}
        assert len(seen) == 32

        beta = await client.get(f"{BASE}/feedbacks/list?model_id=beta", headers=boss)
        assert beta.json()["total"] == 1 and beta.json()["items"][0]["user"]["name"] == "Ada"

        by_user = await client.get(
            f"{BASE}/feedbacks/list?order_by=username&direction=asc", headers=boss
        )
        assert by_user.json()["items"][0]["user"]["name"] == "Ada"
        by_model = await client.get(
            f"{BASE}/feedbacks/list?order_by=model_id&direction=desc", headers=boss
        )
        assert by_model.json()["items"][0]["data"]["model_id"] == "beta"
        by_rating = await client.get(
            f"{BASE}/feedbacks/list?order_by=rating&direction=asc&page=1", headers=boss
        )
        assert by_rating.json()["items"][0]["data"]["rating"] == -1
        # An unknown sort key or page 0 falls back to the first page, newest first.
        odd = await client.get(f"{BASE}/feedbacks/list?order_by=nope&page=0", headers=boss)
        assert odd.status_code == 200 and len(odd.json()["items"]) == 30

        models = await client.get(f"{BASE}/feedbacks/models", headers=boss)
        assert models.json() == ["alpha", "beta"]


async def test_admins_export_list_ids_and_delete_everything(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        uma = await add_user(client, admin["token"], "Uma")
        boss = bearer(admin["token"])
        one = await rate(client, uma["token"], model_id="alpha")
        two = await rate(client, admin["token"], model_id="beta")
        everything = (await client.get(f"{BASE}/feedbacks/all/export", headers=boss)).json()
        assert sorted(f["id"] for f in everything) == sorted([one["id"], two["id"]])
        assert all(f["snapshot"]["chat"]["id"] == "c1" for f in everything)
        alpha = await client.get(f"{BASE}/feedbacks/all/export?model_id=alpha", headers=boss)
        assert alpha.json() == [one]
        ids = (await client.get(f"{BASE}/feedbacks/all/ids", headers=boss)).json()
        assert sorted(i["id"] for i in ids) == sorted([one["id"], two["id"]])
        assert set(ids[0]) == {"id", "user_id", "created_at", "updated_at"}

        deleted = await client.delete(f"{BASE}/feedbacks/all", headers=boss)
        assert deleted.status_code == 200 and deleted.json() is True
        assert (await client.get(f"{BASE}/feedbacks/all/ids", headers=boss)).json() == []
        listed = (await client.get(f"{BASE}/feedbacks/list", headers=boss)).json()
        assert listed == {"items": [], "total": 0}


async def test_deleting_a_user_deletes_their_feedback(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        uma = await add_user(client, admin["token"], "Uma")
        made = await rate(client, uma["token"])
        boss = bearer(admin["token"])
        gone = await client.delete(f"/api/v1/users/{uma['id']}", headers=boss)
        assert gone.status_code == 200
        missing = await client.get(f"{BASE}/feedback/{made['id']}", headers=boss)
        assert missing.status_code == 404


async def test_bad_ratings_are_refused_with_422(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        headers = bearer(admin["token"])
        made = await rate(client, admin["token"])
        bad: list[Any] = [
            {},
            {"type": "rating"},  # no data
            {"type": "", "data": {"model_id": "m"}},
            {"type": "rating", "data": {"rating": 1}},  # no model
            {"type": "rating", "data": {"model_id": "m", "rating": 5}},
            {"type": "rating", "data": {"model_id": "m", "rating": "up"}},
            {"type": "rating", "data": {"model_id": "x" * 257}},
            {"type": "rating", "data": {"model_id": "m", "comment": "c" * 10_001}},
            {"type": "rating", "data": {"model_id": "m", "tags": ["t"] * 51}},
            {"type": "rating", "data": {"model_id": "m", "reason": "a\x00b"}},
            {"type": "rating", "data": {"model_id": "m"}, "meta": {"chat_id": "c" * 129}},
            {"type": "rating", "data": {"model_id": "m"}, "snapshot": {"chat": "nope"}},
            [rating()],
        ]
        for body in bad:
            for path in (f"{BASE}/feedback", f"{BASE}/feedback/{made['id']}"):
                response = await client.post(path, headers=headers, json=body)
                assert response.status_code == 422, (body, response.text)
                assert isinstance(response.json()["detail"], list)
        page = await client.get(f"{BASE}/feedbacks/list?page=x", headers=headers)
        assert page.status_code == 422
        # A minimal rating is fine: the meta and snapshot are optional, unknown top-level
        # fields are ignored.
        minimal = {"type": "rating", "data": {"model_id": "m", "rating": 0}, "unknown": 1}
        response = await client.post(f"{BASE}/feedback", headers=headers, json=minimal)
        assert response.status_code == 200 and response.json()["snapshot"] is None
        assert "unknown" not in response.json()


async def test_who_may_call_what(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        uma = await add_user(client, admin["token"], "Uma")
        pat = await add_user(client, admin["token"], "Pat", role="pending")
        made = await rate(client, uma["token"])
        own = [("POST", "/feedback"), ("GET", f"/feedback/{made['id']}"),
               ("POST", f"/feedback/{made['id']}"), ("GET", "/feedbacks/user"),
               ("DELETE", f"/feedback/{made['id']}"), ("DELETE", "/feedbacks")]  # fmt: skip
        admin_only = [("GET", "/feedbacks/list"), ("GET", "/feedbacks/models"),
                      ("GET", "/feedbacks/all/ids"), ("GET", "/feedbacks/all/export"),
                      ("GET", "/leaderboard"), ("DELETE", "/feedbacks/all")]  # fmt: skip
        for method, path in own + admin_only:
            body = rating() if method == "POST" else None
            anonymous = await client.request(method, BASE + path, json=body)
            assert anonymous.status_code == 401 and "detail" in anonymous.json(), path
            pending = await client.request(method, BASE + path, json=body,
                                           headers=bearer(pat["token"]))  # fmt: skip
            assert pending.status_code == 403 and "detail" in pending.json(), path
        for method, path in admin_only:
            refused = await client.request(method, BASE + path, headers=bearer(uma["token"]))
            assert refused.status_code == 403 and "detail" in refused.json(), path
        # Nothing above reached the stored rating.
        still = await client.get(f"{BASE}/feedback/{made['id']}", headers=bearer(uma["token"]))
        assert still.status_code == 200
