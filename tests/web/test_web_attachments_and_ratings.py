"""A person's journeys through the 0.12.4 web client: an answer rated with a thumbs-up, and a
web page attached in the chat input and answered from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.pages import Page, PageServer
from tests.fakes.upstream import FakeUpstream
from tests.gateway import as_env, gateway_settings, owlet_process
from tests.support import Backend, bearer
from tests.web.browser import BUILD, create_admin, journey, require_browser, send
from tests.web.conftest import TOKENS
from tests.web.test_web_journeys import asked_with, reply, token_of

FOG = "The Skerryvore fog bell was rung by hand for forty hours in the gale of 1847."
COMMENT = "Short, and it named the right light."
FAVICONS = "https://www.google.com/s2/favicons?"
PAGE = f"""<!doctype html><html><head><title>Skerryvore</title></head>
<body><article><h1>Skerryvore</h1><p>{FOG}</p></article></body></html>""".encode()


@pytest.fixture
def web_pages(
    backend: Backend, clean_db: object, tmp_path: Path
) -> Iterator[tuple[str, FakeUpstream, PageServer]]:
    """The `web` fixture's server and upstream, allowed to fetch loopback URLs, and a page
    server on loopback."""
    require_browser()
    with (
        PageServer({"/skerryvore": Page(PAGE)}) as pages,
        FakeUpstream(models=["fake-gpt"], tokens=TOKENS, token_delay=0.05) as up,
    ):
        settings = gateway_settings(up, up)
        env = {**as_env(settings), "ENABLE_OLLAMA_API": "false", "ENABLE_FRONTEND": "true",
               "FRONTEND_BUILD_DIR": str(BUILD), "ENABLE_LOCAL_URL_FETCH": "true"}  # fmt: skip
        with owlet_process(backend, tmp_path / "data", env) as base:
            yield base, up, pages


def feedback_updated(response: Any) -> bool:
    """`POST /api/v1/evaluations/feedback/{id}`: a stored rating updated."""
    return response.request.method == "POST" and "/api/v1/evaluations/feedback/" in response.url


async def favicon(route: Any) -> None:
    await route.fulfill(status=200, content_type="image/png", body=b"")


async def test_an_answer_rated_good(web: tuple[str, FakeUpstream], tmp_path: Path) -> None:
    base, _up = web
    async with journey(tmp_path / "screenshots") as trip:
        page = trip.page
        await create_admin(trip, base)
        await send(trip, "Which light stands on Bell Rock?")
        await reply(page)
        await page.wait_for_url("**/c/*")
        await trip.shot("answered")
        # The answer's thumbs-up. The client stores the rating, then asks for tags for the
        # answer and updates the rating with them.
        messages = page.locator("#messages-container")
        async with page.expect_response(feedback_updated, timeout=30_000) as tagged:
            await messages.get_by_role("button", name="Good Response").last.click()
        assert (await tagged.value).status == 200
        # The form the thumbs-up opened: a score out of 10 and a comment, saved.
        form = page.locator("[id^=message-feedback-]")
        await form.get_by_text("How would you rate this response?").wait_for()
        await form.get_by_role("button", name="Rate 8 out of 10").click()
        await form.get_by_placeholder("Feel free to add specific details").fill(COMMENT)
        await trip.shot("rating-form")
        async with page.expect_response(feedback_updated, timeout=30_000) as saved:
            await form.get_by_role("button", name="Save").click()
        assert (await saved.value).status == 200
        await page.get_by_text("Thanks for your feedback!").first.wait_for()
        await trip.shot("rated")
        chat_id = page.url.rsplit("/", 1)[1]
        token = await token_of(trip)
        trip.clean()
    async with httpx.AsyncClient(base_url=base) as http:
        feedbacks = await http.get("/api/v1/evaluations/feedbacks/user", headers=bearer(token))
    assert feedbacks.status_code == 200, feedbacks.text
    rated = [f for f in feedbacks.json() if f["data"].get("rating") == 1]
    assert len(rated) == 1, feedbacks.json()
    assert rated[0]["data"]["model_id"] == "fake-gpt"
    assert rated[0]["meta"]["chat_id"] == chat_id
    assert rated[0]["data"]["comment"] == COMMENT
    assert rated[0]["data"]["details"] == {"rating": 8}


async def test_a_web_page_attached_in_the_chat(
    web_pages: tuple[str, FakeUpstream, PageServer], tmp_path: Path
) -> None:
    base, up, pages = web_pages
    url = pages.url + "/skerryvore"
    async with journey(tmp_path / "screenshots") as trip:
        page = trip.page
        # A cited web page's chip shows its favicon from Google's favicon service, which this
        # offline machine cannot resolve; an empty image stands in for it.
        await page.route(lambda url: url.startswith(FAVICONS), favicon)
        await create_admin(trip, base)
        # The message input's `+` menu → Attach Webpage, the URL, Add.
        await page.get_by_role("button", name="More").first.click()
        await page.get_by_role("menuitem", name="Attach Webpage").click()
        await page.locator("#webpage-url").fill(url)
        await trip.shot("webpage-url")
        processed = lambda r: "/api/v1/retrieval/process/url" in r.url  # noqa: E731
        async with page.expect_response(processed, timeout=30_000) as done:
            await page.get_by_role("button", name="Add", exact=True).click()
        assert (await done.value).status == 200
        await page.get_by_text(url).first.wait_for()  # the attachment, under its URL
        await trip.shot("attached")
        await send(trip, "How long was the fog bell rung?")
        await reply(page)
        # The reply cites the page.
        await page.locator("#messages-container").get_by_text("1 Source").first.wait_for()
        await trip.shot("page-cited")
        trip.clean()
    assert "/skerryvore" in pages.hits
    assert asked_with(up, FOG)
