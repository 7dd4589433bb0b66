"""Signing in through an OpenID Connect provider with the web client's own button, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.oidc import identity_provider, oidc_env, person, register
from tests.gateway import owlet_process
from tests.support import Backend
from tests.web.browser import BUILD, journey, require_browser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's own


@pytest.fixture
def web_with_idp(backend: Backend, clean_db: object, tmp_path: Path) -> Iterator[tuple[str, str]]:
    require_browser()
    with identity_provider() as issuer:
        env = {**oidc_env(issuer), "ENABLE_FRONTEND": "true", "FRONTEND_BUILD_DIR": str(BUILD)}
        with owlet_process(backend, tmp_path / "data", env) as base:
            yield base, issuer


async def test_sign_in_with_the_providers_button(
    web_with_idp: tuple[str, str], tmp_path: Path
) -> None:
    base, issuer = web_with_idp
    sub, claims = person(name="Olive Oidc")
    await register(issuer, sub, claims)
    async with journey(tmp_path / "screenshots") as trip:
        page, trip.app = trip.page, base
        await page.goto(base + "/auth")
        await page.get_by_role("button", name="Get started").click()  # the first-run splash
        button = page.get_by_role("button", name="Test IdP")
        await button.wait_for()
        await trip.shot("sign-in-page")
        await button.click()
        await page.wait_for_url(issuer + "/**")  # the provider's own page
        await page.locator("input[name=sub]").fill(sub)
        await trip.shot("provider")
        await page.locator("input[name=sub]").press("Enter")
        await page.wait_for_url(base + "/**")
        await page.locator("#chat-input").wait_for()
        go = page.get_by_role("button", name="Okay, Let's Go!")
        if await go.count():
            await go.click()
        await page.get_by_role("button", name="User menu").click()
        await page.get_by_text("Olive Oidc").first.wait_for()  # signed in as the claims say
        await trip.shot("signed-in")
        trip.clean()
