"""The web client in a real Chromium (Debian's, driven by the `playwright` package; never a
browser download), against a real `owlet serve`. Every failed request and every console
error the page logs is kept, so a journey fails on them."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from owlet.web import frontend_build
from tests.support import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags this machine needs: no sandbox as root, no GPU, no calls home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_EMAIL = "ada@example.com"
BUILD = Path(__file__).resolve().parents[2] / frontend_build.DEFAULT_DIR


def require_browser() -> None:
    """Chromium and the fetched web client; a failure in CI, a skip elsewhere."""
    missing = []
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        missing.append(f"Chromium ({CHROMIUM}; `apt-get install chromium`)")
    if not frontend_build.is_built(BUILD):
        missing.append(f"the web client ({BUILD}; `owlet fetch-frontend`)")
    if missing:
        message = "missing: " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: tests must not skip)")
        pytest.skip(message)


@dataclass
class Journey:
    page: Any
    shots: Path
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # status, method, path
    errors: list[str] = field(default_factory=list)
    allowed: set[tuple[int, str]] = field(default_factory=set)  # (status, path) provoked
    app: str | None = None  # when set, only what happens on pages under this URL counts
    step: int = 0

    async def shot(self, name: str) -> Path:
        self.step += 1
        path = self.shots / f"{self.step:02d}-{name}.png"
        await self.page.screenshot(path=str(path))
        return path

    def clean(self) -> None:
        """No failed request and no console error from the app, but those allowed."""
        failures = [f for f in self.failures if (f[0], f[2]) not in self.allowed]
        assert not failures, failures
        assert not self.errors, self.errors


@asynccontextmanager
async def journey(shots: Path) -> AsyncIterator[Journey]:
    from playwright.async_api import async_playwright

    shots.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a test's own temp folder)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            trip = Journey(page, shots)

            def responded(response: Any) -> None:
                if response.status >= 400:
                    path = "/" + response.url.split("/", 3)[3].split("?")[0]
                    trip.failures.append((response.status, response.request.method, path))

            def logged(message: Any) -> None:
                if trip.app and not page.url.startswith(trip.app):
                    return  # another site's page (an identity provider's), not the app
                if message.type == "error" and "the server responded with a status" not in (
                    message.text
                ):  # failed requests are checked one by one above
                    trip.errors.append(message.text[:300])

            page.on("response", responded)
            page.on("console", logged)
            try:
                yield trip
            except BaseException:
                await trip.shot("failed")  # what the person saw when it went wrong
                raise
        finally:
            await browser.close()


async def create_admin(trip: Journey, base: str, name: str = "Ada Admin") -> None:
    """The first visit: the splash, the admin's account, the release notes."""
    page = trip.page
    await page.goto(base + "/")
    await page.get_by_role("button", name="Get started").click()  # the first-run splash
    await page.get_by_placeholder("Enter Your Full Name").fill(name)
    await trip.shot("onboarding")
    await page.get_by_placeholder("Enter Your Email").fill(ADMIN_EMAIL)
    await page.get_by_placeholder("Enter Your Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create Admin Account").click()
    await page.get_by_role("button", name="Okay, Let's Go!").click()  # release notes
    await page.locator("#chat-input").wait_for()


async def send(trip: Journey, text: str) -> None:
    await trip.page.locator("#chat-input").click()
    await trip.page.keyboard.type(text)
    await trip.page.keyboard.press("Enter")
