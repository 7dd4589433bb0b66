"""`/api/events` and `/api/events/webhooks`: the catalog and admin CRUD, with Open WebUI
0.12.4's shapes and detail strings (peer-checked). Delivery is tests/events/test_delivery.py."""

from __future__ import annotations

import httpx

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup

# Literal public addresses: checking them needs no DNS, and nothing is ever sent (`quiet`).
HOOK = "https://8.8.8.8/hook"
INVALID_URL = "The URL you provided is invalid. Please double-check and try again."


async def quiet(client: httpx.AsyncClient) -> None:
    """No delivery on this server: these webhooks' own `config.webhook.updated` events would
    go to real public addresses."""
    await client.app.state.container.events.close()  # type: ignore[attr-defined]


async def test_event_catalog(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        user = await add_user(client, admin["token"], "Uma")
        assert (await client.get("/api/events")).status_code == 401
        assert (await client.get("/api/events", headers=bearer(user["token"]))).status_code == 403
        body = (await client.get("/api/events", headers=bearer(admin["token"]))).json()
        assert isinstance(body["schema"], str)
        names = [e["event"] for e in body["events"]]
        assert "chat.created" in names and "config.imported" in names
        assert len(names) == len(set(names))
        assert all(set(e) == {"event", "description", "message"} for e in body["events"])


async def test_webhook_crud(make_client: MakeClient) -> None:
    async with make_client() as client:
        await quiet(client)
        admin = await signup(client, "Ada")
        user = await add_user(client, admin["token"], "Uma")
        headers = bearer(admin["token"])
        for method in ("GET", "POST"):
            denied = await client.request(
                method, "/api/events/webhooks", headers=bearer(user["token"]), json={"url": HOOK}
            )
            assert denied.status_code == 403
        assert (await client.get("/api/events/webhooks", headers=headers)).json() == []

        made = await client.post("/api/events/webhooks", headers=headers, json={"url": HOOK})
        assert made.status_code == 200, made.text
        hook = made.json()
        assert hook["name"] == "Webhook" and hook["enabled"] is True
        assert hook["events"] == ["*"] and hook["targets"] is None
        assert set(hook) == {"id", "name", "url", "enabled", "events", "targets",
                             "created_at", "updated_at"}  # fmt: skip
        second = await client.post(
            "/api/events/webhooks",
            headers=headers,
            json={"name": "Chats", "url": "http://8.8.4.4/x", "enabled": False,
                  "events": ["chat.created"], "targets": [{"type": "user", "id": user["id"]}]},
        )  # fmt: skip
        assert second.status_code == 200, second.text
        listed = (await client.get("/api/events/webhooks", headers=headers)).json()
        assert [h["id"] for h in listed] == [hook["id"], second.json()["id"]]

        updated = await client.put(
            f"/api/events/webhooks/{hook['id']}", headers=headers, json={"name": "Renamed"}
        )
        assert updated.status_code == 200
        assert updated.json()["name"] == "Renamed" and updated.json()["url"] == HOOK
        cleared = await client.put(
            f"/api/events/webhooks/{second.json()['id']}", headers=headers, json={"events": None}
        )
        assert cleared.json()["events"] == ["*"] and cleared.json()["enabled"] is False

        gone = await client.delete(f"/api/events/webhooks/{hook['id']}", headers=headers)
        assert gone.status_code == 200 and gone.json() == {"status": True}
        for method in ("PUT", "DELETE"):
            missing = await client.request(
                method, f"/api/events/webhooks/{hook['id']}", headers=headers, json={}
            )
            assert missing.status_code == 404 and missing.json() == {"detail": "Webhook not found"}
        listed = (await client.get("/api/events/webhooks", headers=headers)).json()
        assert [h["id"] for h in listed] == [second.json()["id"]]


async def test_webhook_validation(make_client: MakeClient) -> None:
    async with make_client() as client:
        await quiet(client)
        headers = bearer((await signup(client, "Ada"))["token"])
        cases = [
            ({"url": "ftp://8.8.8.8/x"}, INVALID_URL),
            ({"url": "notaurl"}, INVALID_URL),
            ({"url": "http://127.0.0.1:9/x"}, INVALID_URL),  # private: refused
            ({"url": "http://10.1.2.3/x"}, INVALID_URL),
            ({"url": HOOK, "events": ["no.such.event"]}, "Invalid event: no.such.event"),
            ({"url": HOOK, "events": ["nosuch.*"]}, "Invalid event pattern: nosuch.*"),
            ({"url": HOOK, "targets": [{"type": "role", "id": "admin"}]}, "Invalid target"),
            ({"url": HOOK, "targets": [{"type": "user"}]}, "Invalid target"),
        ]
        for body, detail in cases:
            response = await client.post("/api/events/webhooks", headers=headers, json=body)
            assert response.status_code == 400, body
            assert response.json() == {"detail": detail}
        for body in ({}, {"url": HOOK, "enabled": "x"}, {"url": HOOK, "targets": "x"}):
            response = await client.post("/api/events/webhooks", headers=headers, json=body)
            assert response.status_code == 422, body
        hook = (
            await client.post("/api/events/webhooks", headers=headers, json={"url": HOOK})
        ).json()
        bad = await client.put(
            f"/api/events/webhooks/{hook['id']}", headers=headers, json={"url": "http://localhost/"}
        )
        assert bad.status_code == 400 and bad.json() == {"detail": INVALID_URL}
        assert (await client.get("/api/events/webhooks", headers=headers)).json() == [hook]


async def test_private_urls_allowed_with_local_fetch(make_client: MakeClient) -> None:
    async with make_client(enable_local_url_fetch=True) as client:
        await quiet(client)
        headers = bearer((await signup(client, "Ada"))["token"])
        made = await client.post(
            "/api/events/webhooks", headers=headers, json={"url": "http://127.0.0.1:9/x"}
        )
        assert made.status_code == 200, made.text
