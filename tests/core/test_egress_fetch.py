"""`Egress.fetch` itself: the time cap, falling through to the next checked address, and a
POST that gets its redirect back instead of following it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from owlet.core.egress import Egress
from owlet.errors import BadRequest
from owlet.providers.transport import LazyAiohttpTransport
from tests.fakes.dns import FakeDns
from tests.fakes.network import RoutedTransport, Site

PUBLIC, DOWN = "93.184.215.14", "93.184.215.16"  # DOWN is outside the test network
PUBLIC6 = "2606:2800:220:1:248:1893:25c8:1946"  # AAAA answers come after A ones


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest_asyncio.fixture
async def setup() -> AsyncIterator[tuple[Egress, RoutedTransport, Site]]:
    zone = {"two.test": [[DOWN, PUBLIC6]], "public.test": [[PUBLIC]]}
    with FakeDns(zone) as dns, Site("public") as public, Site("secret") as private:
        routed = RoutedTransport(
            LazyAiohttpTransport(), dns.resolver(), {PUBLIC: public, PUBLIC6: public}, private
        )
        async with httpx.AsyncClient(transport=routed, trust_env=False) as http:
            yield Egress(http, allow_private=False, resolver=dns.resolver()), routed, public


async def test_a_fetch_that_outlasts_its_time_is_a_400(silent_port: int) -> None:
    async with httpx.AsyncClient(transport=LazyAiohttpTransport(), trust_env=False) as http:
        egress = Egress(http, allow_private=True)
        with pytest.raises(BadRequest, match="took longer than 0.3 seconds"):
            await egress.fetch(f"http://127.0.0.1:{silent_port}/", max_bytes=10, seconds=0.3)


async def test_the_next_checked_address_is_tried_when_one_is_down(
    setup: tuple[Egress, RoutedTransport, Site],
) -> None:
    egress, routed, _ = setup
    url, text = await egress.fetch_text("http://two.test/a", max_bytes=100, seconds=10)
    assert (url, text) == ("http://two.test/a", "public:/a")
    assert routed.connected == [DOWN, PUBLIC6]


async def test_a_post_gets_its_redirect_back(setup: tuple[Egress, RoutedTransport, Site]) -> None:
    egress, routed, public = setup
    fetched = await egress.fetch(
        "http://public.test/to?u=http://127.0.0.1/", method="POST", content=b"{}",
        max_bytes=100, seconds=10,
    )  # fmt: skip
    assert fetched.status == 302 and fetched.headers["location"] == "http://127.0.0.1/"
    assert routed.connected == [PUBLIC]
