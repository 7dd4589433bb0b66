"""Fetching a URL a client named, without becoming a way into the private network.

Every hop (redirects included, at most `MAX_REDIRECTS`) must be http(s) and every address
its host resolves to must be public, unless `ENABLE_LOCAL_URL_FETCH` allows private ones.
The body is read up to a size limit. (The check and the connection resolve the name
separately; a DNS answer that changes in between is not caught: see docs/functions.md.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import httpx

from owlet.errors import BadRequest

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}


async def fetch_text(
    http: httpx.AsyncClient, url: str, *, allow_private: bool, max_bytes: int, read_seconds: float
) -> tuple[str, str]:
    """(the final URL after redirects, the body of a GET to it as text); 400 with a reason
    for anything refused."""
    for _ in range(MAX_REDIRECTS + 1):
        await check_url(url, allow_private)
        try:
            async with http.stream("GET", url, timeout=read_seconds) as response:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    try:
                        url = urljoin(url, response.headers["location"])
                    except ValueError as exc:
                        raise BadRequest("The server redirected to an invalid URL") from exc
                    continue
                if response.status_code >= 400:
                    raise BadRequest(f"Fetching {url} failed with status {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise BadRequest(f"{url} is larger than {max_bytes} bytes")
                return url, body.decode(response.encoding or "utf-8", "replace")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise BadRequest(f"Fetching {url} failed: {type(exc).__name__}") from exc
    raise BadRequest(f"Too many redirects fetching {url}")


async def check_url(url: str, allow_private: bool) -> None:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # e.g. `http://[::1`, a port that is no number
        raise BadRequest("Not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise BadRequest("Only http and https URLs can be fetched")
    if any(ord(c) < 33 or c in "\\" for c in parts.netloc):
        raise BadRequest("Not a valid URL")
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, ValueError, UnicodeError) as exc:
        raise BadRequest(f"Cannot resolve {host}") from exc
    for info in infos:
        if not public(ipaddress.ip_address(str(info[4][0]).split("%")[0])):
            raise BadRequest(
                f"{host} resolves to a private address; set ENABLE_LOCAL_URL_FETCH=true to allow it"
            )


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A global unicast address, including the IPv4 one inside an IPv6 address that carries
    it (IPv4-mapped or -compatible, 6to4, Teredo, NAT64)."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address.teredo is not None:
            inner = address.teredo[1]
        if inner is None and (address in NAT64 or int(address) >> 32 == 0):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return public(inner)
    return True
