"""The egress guard through `POST /api/v1/functions/load/url`, on a pretend internet.

The app's guard is given the fake DNS (tests/fakes/dns.py) as its resolver and a shared
client whose real transport runs over `RoutedTransport` (tests/fakes/network.py), so public
addresses reach loopback sites and a private site records anything that slips through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from owlet.core.egress import Egress
from owlet.providers.transport import LazyAiohttpTransport
from tests.conftest import MakeClient
from tests.fakes.dns import FakeDns
from tests.fakes.network import RoutedTransport, Site
from tests.support import bearer, signup

PUBLIC, OTHER = "93.184.215.14", "93.184.215.15"  # public addresses, routed to loopback sites
ZONE = {
    "public.test": [[PUBLIC]],
    "other.test": [[OTHER]],
    "loopback.test": [["127.0.0.1"]],
    "localhost": [["127.0.0.1", "::1"]],
    "mixed.test": [[PUBLIC, "10.0.0.1"]],  # one private answer among public ones
    "v6loop.test": [["::1"]],
    "mapped.test": [["::ffff:127.0.0.1"]],
    "metadata.test": [["169.254.169.254"]],
    "nat64.test": [["64:ff9b::7f00:1"]],
    "rebind.test": [[PUBLIC], ["127.0.0.1"]],  # public when checked, loopback after
    "rebind-late.test": [["127.0.0.1"], [PUBLIC]],  # the other way round
}


@dataclass
class Net:
    api: httpx.AsyncClient
    token: str
    dns: FakeDns
    public: Site
    other: Site
    private: Site
    routed: RoutedTransport

    async def load(self, url: str) -> httpx.Response:
        return await self.api.post(
            "/api/v1/functions/load/url", headers=bearer(self.token), json={"url": url}
        )


@pytest.fixture
def sites() -> Iterator[tuple[FakeDns, Site, Site, Site]]:
    with ExitStack() as stack:
        dns = stack.enter_context(FakeDns(ZONE))
        public, other, private = (
            stack.enter_context(Site(n)) for n in ("public", "other", "secret")
        )
        yield dns, public, other, private


@pytest_asyncio.fixture
async def net(
    make_client: MakeClient, sites: tuple[FakeDns, Site, Site, Site]
) -> AsyncIterator[Net]:
    dns, public, other, private = sites
    routed = RoutedTransport(
        LazyAiohttpTransport(), dns.resolver(), {PUBLIC: public, OTHER: other}, private
    )
    async with (
        make_client() as api,
        httpx.AsyncClient(transport=routed, follow_redirects=False, trust_env=False) as http,
    ):
        api.app.state.container.egress = Egress(  # type: ignore[attr-defined]
            http, allow_private=False, resolver=dns.resolver()
        )
        ada = await signup(api, "Ada")
        yield Net(api, ada["token"], dns, public, other, private, routed)


def payloads(p: int) -> list[tuple[str, str]]:
    """(URL, what the refusal's detail says); `p` is the private site's port."""
    private, scheme, invalid = "private address", "Only http and https", "Not a valid URL"
    userinfo, unknown = "user name or password", "Cannot resolve"
    to = "http://public.test/to?u="
    return [
        # IPv4 literals, in every spelling a browser or inet_aton accepts
        (f"http://127.0.0.1:{p}/x.py", private),
        (f"http://2130706433:{p}/x.py", private),  # decimal
        (f"http://0x7f000001:{p}/x.py", private),  # hex
        (f"http://0x7f.0.0.1:{p}/x.py", private),
        (f"http://0177.0.0.1:{p}/x.py", private),  # octal
        (f"http://017700000001:{p}/x.py", private),
        (f"http://127.1:{p}/x.py", private),  # short forms
        (f"http://127.0.1:{p}/x.py", private),
        (f"http://127.0.0.1.:{p}/x.py", private),  # trailing dot
        (f"http://0:{p}/x.py", private),
        (f"http://0.0.0.0:{p}/x.py", private),
        ("http://10.0.0.1/x.py", private),
        ("http://172.16.0.1/x.py", private),
        ("http://192.168.1.1/x.py", private),
        ("http://169.254.169.254/latest/meta-data/", private),  # link-local: cloud metadata
        ("http://100.64.0.1/x.py", private),  # shared address space
        ("http://192.0.0.1/x.py", private),
        ("http://198.18.0.1/x.py", private),
        ("http://240.0.0.1/x.py", private),  # reserved
        ("http://255.255.255.255/x.py", private),
        ("http://224.0.0.1/x.py", private),  # multicast
        # IPv6, and IPv4 carried inside it
        (f"http://[::1]:{p}/x.py", private),
        (f"http://[::]:{p}/x.py", private),
        (f"http://[::ffff:127.0.0.1]:{p}/x.py", private),  # mapped
        (f"http://[::ffff:7f00:1]:{p}/x.py", private),
        (f"http://[::127.0.0.1]:{p}/x.py", private),  # compatible
        ("http://[2002:7f00:1::1]/x.py", private),  # 6to4
        ("http://[2002:a9fe:a9fe::1]/x.py", private),
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x.py", private),  # Teredo
        ("http://[64:ff9b::7f00:1]/x.py", private),  # NAT64
        ("http://[64:ff9b::a9fe:a9fe]/x.py", private),
        ("http://[64:ff9b:1::808:808]/x.py", private),  # local-use NAT64
        ("http://[fe80::1%25eth0]/x.py", private),  # link-local with a zone
        ("http://[fc00::1]/x.py", private),
        ("http://[fec0::1]/x.py", private),  # site-local
        ("http://[ff02::1]/x.py", private),
        # names the test's DNS server answers
        (f"http://loopback.test:{p}/x.py", private),
        (f"http://LOOPBACK.test.:{p}/x.py", private),
        (f"http://localhost:{p}/x.py", private),
        ("http://mixed.test/x.py", private),
        (f"http://v6loop.test:{p}/x.py", private),
        (f"http://mapped.test:{p}/x.py", private),
        ("http://metadata.test/latest/meta-data/", private),
        ("http://nat64.test/x.py", private),
        (f"http://rebind-late.test:{p}/x.py", private),  # private when checked
        ("http://nowhere.test/x.py", unknown),
        # userinfo, fragment and query tricks
        (f"http://public.test@127.0.0.1:{p}/x.py", userinfo),
        (f"http://public.test:80@127.0.0.1:{p}/x.py", userinfo),
        (f"http://127.0.0.1:{p}%2f@public.test/x.py", userinfo),
        (f"http://127.0.0.1:{p}#@public.test/x.py", private),
        (f"http://127.0.0.1:{p}?@public.test/x.py", private),
        (f"http://public.test\\@127.0.0.1:{p}/x.py", invalid),
        (f"http://%31%32%37.0.0.1:{p}/x.py", invalid),
        (f"http://127.0.0.1 :{p}/x.py", invalid),
        ("http://1.2.3.4.5/x.py", invalid),
        ("http://public.1/x.py", invalid),  # ends in a number but is no address
        # other schemes
        ("file:///etc/passwd", scheme),
        (f"gopher://127.0.0.1:{p}/_INFO", scheme),
        ("ftp://public.test/x.py", scheme),
        # redirects from a public site to a private one
        (f"{to}http://127.0.0.1:{p}/x.py", private),
        (f"{to}http://loopback.test:{p}/x.py", private),
        (f"{to}http://[::ffff:127.0.0.1]:{p}/x.py", private),
        (f"{to}http://0x7f.1:{p}/x.py", private),
        (f"{to}http://other.test/to%3Fu%3Dhttp://127.0.0.1:{p}/x.py", private),  # two hops
        (f"{to}file:///etc/passwd", scheme),
    ]


async def test_every_payload_is_refused_and_nothing_private_is_reached(net: Net) -> None:
    table = payloads(net.private.port)
    assert len(table) >= 40
    for url, reason in table:
        refused = await net.load(url)
        assert refused.status_code == 400, (url, refused.text)
        assert reason in refused.json()["detail"], (url, refused.json())
    assert net.private.hits == []
    # Only the redirecting sites were connected to, once per redirect payload's hops.
    assert set(net.routed.connected) <= {PUBLIC, OTHER}
    assert len(net.public.hits) == 6 and len(net.other.hits) == 1


async def test_public_names_and_addresses_still_load(net: Net) -> None:
    for url, host in (
        ("http://public.test/plugins/a.py", "public.test"),
        (f"http://{PUBLIC}/plugins/a.py", PUBLIC),
        ("http://public.test/to?u=http://other.test/plugins/a.py", "other.test"),
        ("http://public.test:80/to?u=/plugins/a.py", "public.test"),  # a relative Location
    ):
        loaded = await net.load(url)
        assert loaded.status_code == 200, (url, loaded.text)
        site = "other" if host == "other.test" else "public"
        assert loaded.json() == {"name": "a", "content": f"{site}:/plugins/a.py"}, url
    # The name, not the address connected to, is what the site is told it is.
    assert net.public.hits[0] == ("/plugins/a.py", "public.test")
    assert net.other.hits == [("/plugins/a.py", "other.test")]


async def test_the_checked_address_is_the_one_connected_to(net: Net) -> None:
    """rebind.test answers a public address, then loopback: one lookup, and the request goes
    to the address that lookup returned."""
    loaded = await net.load("http://rebind.test/plugins/a.py")
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["content"] == "public:/plugins/a.py"
    assert net.dns.lookups["rebind.test"] == 1
    assert net.private.hits == [] and net.routed.connected == [PUBLIC]


async def test_every_redirect_hop_is_looked_up_again(net: Net) -> None:
    """A redirect to the same name is a new hop: resolved again, so the second answer
    (loopback) is seen and refused."""
    refused = await net.load("http://rebind.test/to?u=http://rebind.test/plugins/a.py")
    assert refused.status_code == 400
    assert "rebind.test resolves to a private address" in refused.json()["detail"]
    assert net.dns.lookups["rebind.test"] == 2 and net.private.hits == []
