"""More of a person's journeys through the 0.12.4 web client: files and knowledge, a second
person let in by the admin, connections and API keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.fakes.upstream import FakeUpstream
from tests.support import PASSWORD, bearer
from tests.web.browser import Journey, create_admin, journey, send
from tests.web.conftest import ANSWER

CAT = "The Eddystone lighthouse keeper's cat was named Marmalade."
KEEPER = "In 1811 the first keeper of the Bell Rock light was Peter Logan."


def asked_with(up: FakeUpstream, text: str) -> bool:
    """The upstream was sent `text` (in the prompt the server built)."""
    return any(text in str(r.json) for r in up.requests_to("/v1/chat/completions"))


async def shows_value(page: Any, value: str) -> None:
    """Some input on the page holds `value` (the connections page shows URLs in inputs)."""
    await page.wait_for_function(
        "v => [...document.querySelectorAll('input')].some(i => i.value === v)", arg=value
    )


async def reply(page: Any) -> None:
    """The whole streamed answer in the open chat (not a chat title in the sidebar)."""
    answer = page.locator("#messages-container").get_by_text(ANSWER, exact=True)
    await answer.first.wait_for(timeout=30_000)


async def token_of(trip: Journey) -> str:
    return str(await trip.page.evaluate("localStorage.token"))


async def test_a_file_and_a_knowledge_base_answer_with_citations(
    web: tuple[str, FakeUpstream], tmp_path: Path
) -> None:
    base, up = web
    cat_file, keeper_file = tmp_path / "lighthouse.txt", tmp_path / "keepers.txt"
    cat_file.write_text(CAT + "\n")
    keeper_file.write_text(KEEPER + "\n")
    async with journey(tmp_path / "screenshots") as trip:
        page = trip.page
        await create_admin(trip, base)
        # A file attached in the message input.
        await page.locator("input[type=file]:not(#camera-input)").first.set_input_files(cat_file)
        await page.get_by_text("lighthouse.txt").first.wait_for()
        await send(trip, "What was the cat called?")
        await reply(page)
        # The reply cites the file.
        await page.locator("#messages-container").get_by_text("1 Source").first.wait_for()
        await trip.shot("file-cited")
        assert asked_with(up, "Marmalade")
        # A knowledge base made in Workspace → Knowledge, then used with `#`.
        await page.goto(base + "/workspace/knowledge")
        await page.get_by_role("button", name="Create").click()
        await page.get_by_placeholder("Name your knowledge base").fill("Lighthouse keepers")
        await page.get_by_placeholder("Describe your knowledge base and objectives").fill(
            "Who kept which light"
        )
        await page.get_by_role("button", name="Create Knowledge").click()
        await page.wait_for_url("**/workspace/knowledge/*")
        await page.get_by_text("No files").wait_for()  # the page is ready for files
        await page.locator("#files-input").set_input_files(keeper_file)
        await page.get_by_text("keepers.txt").first.wait_for(timeout=30_000)  # processed, listed
        await trip.shot("knowledge-base")
        await page.goto(base + "/")
        await page.locator("#chat-input").click()
        await page.keyboard.type("#Lighthouse")
        await page.get_by_text("Lighthouse keepers").first.click()
        await trip.shot("knowledge-picked")
        await page.keyboard.type("Who kept the Bell Rock light?")
        await page.keyboard.press("Enter")
        await reply(page)
        await page.locator("#messages-container").get_by_text("1 Source").first.wait_for()
        await trip.shot("knowledge-cited")
        trip.clean()
    assert asked_with(up, "Peter Logan")


async def test_a_second_person_is_let_in_by_the_admin(
    web: tuple[str, FakeUpstream], tmp_path: Path
) -> None:
    base, up = web
    async with journey(tmp_path / "admin") as admin, journey(tmp_path / "bob") as bob:
        await create_admin(admin, base)
        await send(admin, "Question from Ada")
        await reply(admin.page)
        # Admin Panel → Settings → Authentication: open sign-ups.
        await admin.page.goto(base + "/admin/settings")
        await admin.page.get_by_text("Authentication").first.click()
        signups = admin.page.locator("div").filter(has_text="New Sign Ups")
        await (
            signups.filter(has=admin.page.get_by_role("switch")).last.get_by_role("switch").click()
        )
        await admin.page.get_by_role("button", name="Save").click()
        await admin.page.get_by_text("Settings saved successfully!").first.wait_for()
        await admin.shot("signups-open")
        # The model is shared with everyone (as the admin's model editor would).
        async with httpx.AsyncClient(base_url=base) as http:
            headers = bearer(await token_of(admin))
            public = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
            made = await http.post("/api/v1/models/create", headers=headers, json={
                "id": "fake-gpt", "name": "fake-gpt", "meta": {}, "params": {},
                "access_grants": public})  # fmt: skip
            assert made.status_code == 200, made.text
        # Bob signs up and waits.
        page = bob.page
        await page.goto(base + "/auth")
        await page.get_by_role("button", name="Sign up").click()
        await page.get_by_placeholder("Enter Your Full Name").fill("Bob User")
        await page.get_by_placeholder("Enter Your Email").fill("bob@example.com")
        await page.get_by_placeholder("Enter Your Password").fill(PASSWORD)
        await page.get_by_role("button", name="Create Account").click()
        await page.get_by_text("Account Activation Pending").wait_for()
        await bob.shot("pending")
        # Admin Panel → Users: Bob becomes a user.
        await admin.page.goto(base + "/admin/users")
        row = admin.page.locator("tr").filter(has_text="bob@example.com")
        await row.get_by_role("button", name="Change User Role").click()
        dialog = admin.page.get_by_role("dialog").filter(has_text="Edit User")
        await dialog.locator("select").select_option("user")
        await dialog.get_by_role("button", name="Save").click()
        await row.get_by_role("button", name="Change User Role").filter(has_text="user").wait_for()
        await admin.shot("activated")
        # Bob is in, chats, and sees only his own chat.
        await page.get_by_role("button", name="Check Again").click()
        await page.locator("#chat-input").wait_for()
        go = page.get_by_role("button", name="Okay, Let's Go!")
        if await go.count():
            await go.click()
        await send(bob, "Question from Bob")
        await reply(page)
        await page.wait_for_url("**/c/*")
        await bob.shot("bob-answered")
        assert "Question from Ada" not in await page.locator("body").inner_text()
        bob_token = await token_of(bob)
        admin.clean()
        bob.clean()
    async with httpx.AsyncClient(base_url=base) as http:
        chats = (await http.get("/api/v1/chats/", headers=bearer(bob_token))).json()
    assert len(chats) == 1  # his own, not the admin's
    assert asked_with(up, "Question from Bob")


async def test_connections_and_an_api_key(web: tuple[str, FakeUpstream], tmp_path: Path) -> None:
    base, up = web
    with FakeUpstream(models=["second-gpt"], tokens=["Two", "."]) as second:
        async with journey(tmp_path / "screenshots") as trip:
            page = trip.page
            await create_admin(trip, base)
            # Admin Panel → Settings → Connections: the configured upstream, then one more.
            await page.goto(base + "/admin/settings")
            await page.get_by_text("Connections").first.click()
            await shows_value(page, up.openai_url)
            await trip.shot("connections")
            await page.get_by_role("button", name="Add Connection").click()
            dialog = (
                page.get_by_role("dialog")
                .filter(has=page.get_by_role("button", name="Verify Connection"))
                .last
            )
            await dialog.get_by_placeholder("API Base URL").fill(second.openai_url)
            await dialog.get_by_placeholder("API Key").fill("sk-second")
            await dialog.get_by_role("button", name="Save").click()
            await shows_value(page, second.openai_url)
            await page.get_by_role("button", name="Save", exact=True).last.click()
            await page.get_by_text("saved successfully").first.wait_for()
            await trip.shot("connection-added")
            await page.goto(base + "/")
            await page.get_by_role("button", name="Selected model").first.click()
            await page.get_by_text("second-gpt").first.wait_for()
            await trip.shot("new-model")
            await page.keyboard.press("Escape")
            # Settings → Account: an API key that works on /api/models.
            trip.allowed.add((404, "/api/v1/auths/api_key"))  # no key yet: 404, as upstream
            await page.get_by_role("button", name="User menu").click()
            await page.get_by_text("Settings").first.click()
            await page.get_by_role("dialog").get_by_text("Account").first.click()
            await page.get_by_text("API keys").wait_for()
            await page.locator("button", has_text="Show").last.click()  # the secrets
            await page.get_by_role("button", name="Create new secret key").click()
            key = await page.wait_for_function(
                "[...document.querySelectorAll('input')].map(i => i.value)"
                ".find(v => v.startsWith('sk-'))"
            )
            await trip.shot("api-key")
            key = await key.json_value()
            trip.clean()
        async with httpx.AsyncClient(base_url=base) as http:
            models = await http.get("/api/models", headers=bearer(key))
        assert models.status_code == 200
        assert {"fake-gpt", "second-gpt"} <= {m["id"] for m in models.json()["data"]}
