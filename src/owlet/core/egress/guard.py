"""The egress guard: resolve once, check every address, connect to the one checked.

The request goes to the checked address itself (the URL carries the IP; the `Host` header
and TLS SNI carry the name, and the certificate is verified against the name), so there is
no second lookup for a DNS answer to change under. Each redirect hop is parsed, resolved and
checked again; the body and the whole exchange are capped in size and time.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from owlet.core.egress.addresses import Address, public
from owlet.core.egress.resolver import Resolver, SystemResolver
from owlet.core.egress.target import Target, parse
from owlet.errors import BadRequest

MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ALLOW = "set ENABLE_LOCAL_URL_FETCH=true to allow it"


@dataclass(frozen=True)
class Fetched:
    url: str  # the last hop's URL, as the client (or the redirect) wrote it
    status: int
    headers: httpx.Headers
    body: bytes
    encoding: str | None

    def text(self) -> str:
        try:
            return self.body.decode(self.encoding or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", "replace")


class Egress:
    """Every fetch of a URL a client supplied goes through here (docs/security.md)."""

    def __init__(
        self, http: httpx.AsyncClient, *, allow_private: bool, resolver: Resolver | None = None
    ) -> None:
        self.http, self.allow_private = http, allow_private
        self.resolver = resolver or SystemResolver()

    async def check(self, url: str) -> Target:
        """`url` parsed, its host resolved and every address allowed; else a 400 saying why."""
        target = parse(url)
        await self._addresses(target)
        return target

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        seconds: float,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Fetched:
        """The response to `method url` (redirects of a GET or HEAD followed, each hop checked),
        whatever its status; a 400 with the reason for anything refused or failed."""
        try:
            async with asyncio.timeout(seconds):
                return await self._follow(url, method, dict(headers or {}), content, max_bytes)
        except TimeoutError:
            raise BadRequest(f"Fetching {url} took longer than {seconds:g} seconds") from None

    async def fetch_text(self, url: str, *, max_bytes: int, seconds: float) -> tuple[str, str]:
        """(the final URL after redirects, the body of a GET to it as text); a status of 400 or
        more is a 400 too."""
        fetched = await self.fetch(url, max_bytes=max_bytes, seconds=seconds)
        if fetched.status >= 400:
            raise BadRequest(f"Fetching {fetched.url} failed with status {fetched.status}")
        return fetched.url, fetched.text()

    async def _follow(
        self, url: str, method: str, headers: dict[str, str], content: bytes | None, cap: int
    ) -> Fetched:
        follow = method.upper() in ("GET", "HEAD")
        for _ in range(MAX_REDIRECTS + 1):
            target = parse(url)
            addresses = await self._addresses(target)
            response = await self._send(target, addresses, method, headers, content)
            try:
                location = response.headers.get("location")
                if follow and response.status_code in REDIRECTS and location:
                    try:
                        url = urljoin(target.url, location)
                    except ValueError as exc:
                        raise BadRequest("The server redirected to an invalid URL") from exc
                    continue
                body = await _read(response, target.url, cap)
            finally:
                await response.aclose()
            return Fetched(
                target.url, response.status_code, response.headers, body, response.charset_encoding
            )
        raise BadRequest(f"Too many redirects fetching {url}")

    async def _addresses(self, target: Target) -> list[Address]:
        if target.address is not None:
            found = [target.address]
        else:
            try:
                found = await self.resolver.resolve(target.host, target.port)
            except (OSError, UnicodeError, ValueError) as exc:
                raise BadRequest(f"Cannot resolve {target.host}") from exc
            if not found:
                raise BadRequest(f"Cannot resolve {target.host}")
        if not self.allow_private:
            for address in found:
                if not public(address):
                    what = "is" if target.address is not None else "resolves to"
                    raise BadRequest(f"{target.host} {what} a private address; {_ALLOW}")
        return found

    async def _send(
        self,
        target: Target,
        addresses: list[Address],
        method: str,
        headers: dict[str, str],
        content: bytes | None,
    ) -> httpx.Response:
        """The response from the first of `addresses` that accepts a connection."""
        extensions = {}
        if target.scheme == "https" and target.address is None:
            extensions["sni_hostname"] = target.host  # and the name the certificate must carry
        failure: Exception | None = None
        for address in addresses:
            request = self.http.build_request(
                method,
                target.pinned(address),
                headers={"Accept-Encoding": "identity", **headers, "Host": target.host_header},
                content=content,
                extensions=extensions,
            )
            try:
                return await self.http.send(request, stream=True)
            except httpx.ConnectError as exc:
                failure = exc  # that address is down: the next one was checked too
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                raise BadRequest(f"Fetching {target.url} failed: {_reason(exc)}") from exc
        reason = _reason(failure) if failure else "no address"
        raise BadRequest(f"Fetching {target.url} failed: {reason}") from failure


async def _read(response: httpx.Response, url: str, cap: int) -> bytes:
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise BadRequest(f"{url} is larger than {cap} bytes")
    except (httpx.HTTPError, OSError) as exc:
        raise BadRequest(f"Fetching {url} failed: {_reason(exc)}") from exc
    return bytes(body)


def _reason(exc: BaseException) -> str:
    """What went wrong, briefly: a TLS failure by name (the transport may wrap it in something
    as misleading as a timeout), else the exception's type."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError) and hasattr(link, "verify_message"):
            return f"the server's certificate was refused ({link.verify_message})"
    if any(isinstance(link, ssl.SSLError) for link in chain):
        return "the TLS handshake failed"
    return type(exc).__name__
