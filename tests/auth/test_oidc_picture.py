"""OAuth sign-in pictures: the provider's `picture` claim fetched through the egress guard
and stored as a data URI; anything that goes wrong gives `/user.png`, never a failed sign-in."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.auth.oidc import identity_provider, owlet_for, person, session_user, sign_in
from tests.fakes.pages import Page, PageServer
from tests.support import Backend, bearer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib

OWL = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
HERON = b"\xff\xd8\xff\xe0" + bytes(range(256))
DEFAULT = "/user.png"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with identity_provider() as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path, clean_db: AsyncEngine) -> Path:
    return tmp_path / "data"


@pytest.fixture
def pictures() -> Iterator[PageServer]:
    pages = {
        "/owl.png": Page(OWL, "image/png"),
        "/heron.jpg": Page(HERON, "image/jpeg"),
        "/drawing.svg": Page(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        "/page.html": Page(b"<p>not a picture</p>"),
        "/huge.png": Page(b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024), "image/png"),
    }
    with PageServer(pages) as server:
        yield server


def data_uri(kind: str, body: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(body).decode()}"


async def stored_picture(engine: AsyncEngine, email: str) -> str:
    async with engine.connect() as conn:
        row = await conn.execute(
            text('SELECT profile_image_url FROM "user" WHERE email = :e'), {"e": email}
        )
        return str(row.scalar_one())


async def signed_in(base: str, issuer: str, sub: str, claims: dict[str, object]) -> str:
    outcome = await sign_in(base, issuer, sub, claims)
    assert outcome.error is None and outcome.token, outcome.location
    return outcome.token


async def test_a_new_account_gets_the_providers_picture(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine, pictures: PageServer
) -> None:
    with owlet_for(backend, data_dir, issuer, ENABLE_LOCAL_URL_FETCH="true") as base:
        sub, claims = person(picture=f"{pictures.url}/owl.png")
        token = await signed_in(base, issuer, sub, claims)
        assert await stored_picture(clean_db, claims["email"]) == data_uri("image/png", OWL)
        me = await session_user(base, token)
        async with httpx.AsyncClient() as client:
            image = await client.get(f"{base}/api/v1/users/{me['id']}/profile/image",
                                     headers=bearer(token))  # fmt: skip
        assert image.status_code == 200 and image.content == OWL
        assert image.headers["content-type"] == "image/png"

        # Returning, with OAUTH_UPDATE_PICTURE_ON_LOGIN off: the picture is not fetched again.
        hits = len(pictures.hits)
        await signed_in(base, issuer, sub, {**claims, "picture": f"{pictures.url}/heron.jpg"})
        assert await stored_picture(clean_db, claims["email"]) == data_uri("image/png", OWL)
        assert len(pictures.hits) == hits

        # What is no raster image, too large, or missing leaves a new account the default.
        for path in ("/drawing.svg", "/page.html", "/huge.png", "/gone.png"):
            other, other_claims = person(picture=pictures.url + path)
            await signed_in(base, issuer, other, other_claims)
            assert await stored_picture(clean_db, other_claims["email"]) == DEFAULT, path
        plain, plain_claims = person()  # no picture claim at all
        await signed_in(base, issuer, plain, plain_claims)
        assert await stored_picture(clean_db, plain_claims["email"]) == DEFAULT

    env = {"ENABLE_LOCAL_URL_FETCH": "true", "OAUTH_UPDATE_PICTURE_ON_LOGIN": "true"}
    with owlet_for(backend, data_dir, issuer, **env) as base:
        await signed_in(base, issuer, sub, {**claims, "picture": f"{pictures.url}/heron.jpg"})
        assert await stored_picture(clean_db, claims["email"]) == data_uri("image/jpeg", HERON)
        # A picture that cannot be had at a later sign-in keeps the one the account has.
        await signed_in(base, issuer, sub, {**claims, "picture": f"{pictures.url}/page.html"})
        assert await stored_picture(clean_db, claims["email"]) == data_uri("image/jpeg", HERON)


async def test_a_private_picture_url_gives_the_default_picture(
    backend: Backend, data_dir: Path, issuer: str, clean_db: AsyncEngine, pictures: PageServer
) -> None:
    with owlet_for(backend, data_dir, issuer) as base:  # ENABLE_LOCAL_URL_FETCH off
        for picture in (f"{pictures.url}/owl.png", "http://169.254.169.254/latest/meta-data"):
            sub, claims = person(picture=picture)
            await signed_in(base, issuer, sub, claims)  # the sign-in itself succeeds
            assert await stored_picture(clean_db, claims["email"]) == DEFAULT, picture
        assert pictures.hits == []  # refused before any connection
