"""The Open WebUI 0.12.4 web client, served by owlet, used by a person in Chromium."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fakes.upstream import FakeUpstream
from tests.support import PASSWORD
from tests.web.browser import create_admin, journey, send
from tests.web.conftest import ANSWER


async def test_first_visit_signup_chat_and_reload(
    web: tuple[str, FakeUpstream], tmp_path: Path
) -> None:
    base, up = web
    async with journey(tmp_path / "screenshots") as trip:
        page = trip.page
        await create_admin(trip, base)
        await trip.shot("signed-in")
        assert "fake-gpt" in await page.locator("body").inner_text()  # the chosen model
        await send(trip, "Tell me about lighthouses.")
        reply = page.get_by_text(ANSWER, exact=True)
        await reply.first.wait_for(timeout=20_000)  # streamed in over the socket
        await page.wait_for_url("**/c/*")
        chat_id = page.url.rsplit("/", 1)[1]
        await page.get_by_text(ANSWER).nth(1).wait_for(timeout=20_000)  # the title, too
        await trip.shot("answered")
        await page.reload()
        await page.get_by_text("Tell me about lighthouses.").wait_for()
        await page.get_by_text(ANSWER, exact=True).first.wait_for()
        await trip.shot("reloaded")
        trip.clean()
    # The server saw the question and saved the exchange under the generated title.
    asked = [r for r in up.requests_to("/v1/chat/completions")
             if "Tell me about lighthouses." in str(r.json)]  # fmt: skip
    assert asked
    async with httpx.AsyncClient(base_url=base) as http:
        account = {"email": "ada@example.com", "password": PASSWORD}
        token = (await http.post("/api/v1/auths/signin", json=account)).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        chat = (await http.get(f"/api/v1/chats/{chat_id}", headers=headers)).json()
    assert chat["title"] == ANSWER
    contents = [m["content"] for m in chat["chat"]["history"]["messages"].values()]
    assert sorted(contents) == sorted(["Tell me about lighthouses.", ANSWER])


async def test_a_stopped_answer_stays_stopped(
    web: tuple[str, FakeUpstream], tmp_path: Path
) -> None:
    base, up = web
    up.tokens, up.token_delay = [f" w{n}" for n in range(300)], 0.1  # 30 s of answer
    async with journey(tmp_path / "screenshots") as trip:
        page = trip.page
        await create_admin(trip, base)
        await send(trip, "Tell me a long story.")
        await page.get_by_text("w5", exact=False).first.wait_for(timeout=20_000)
        await page.get_by_role("button", name="Stop").click()
        await page.get_by_role("button", name="Stop").wait_for(state="detached")
        await trip.shot("stopped")
        kept = await page.get_by_text(" w0", exact=False).first.inner_text()
        await page.reload()
        await page.get_by_text("Tell me a long story.").wait_for()
        after = await page.get_by_text(" w0", exact=False).first.inner_text()
        await trip.shot("reloaded")
        assert "w5" in after and "w299" not in after  # the partial answer, saved
        assert after.strip().startswith(kept.strip()[:20])
        trip.clean()


async def test_sign_out_and_in_again(web: tuple[str, FakeUpstream], tmp_path: Path) -> None:
    base, _up = web
    async with journey(tmp_path / "screenshots") as trip:
        page = trip.page
        await create_admin(trip, base)
        await page.get_by_role("button", name="User menu").click()
        await page.get_by_text("Sign Out").click()
        await page.wait_for_url("**/auth**")
        await trip.shot("signed-out")
        await page.get_by_placeholder("Enter Your Email").fill("ada@example.com")
        await page.get_by_placeholder("Enter Your Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.locator("#chat-input").wait_for()
        await trip.shot("signed-in-again")
        trip.clean()
