"""A client-supplied URL taken apart once, so what is checked is what is connected to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from owlet.core.egress.addresses import Address, literal
from owlet.errors import BadRequest

INVALID = "Not a valid URL"
_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_.])?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    url: str  # as the client wrote it (less any fragment): what messages and redirects use
    scheme: str
    host: str  # lower-case; ASCII (IDNA) for a name, the address's own spelling for a literal
    port: int
    path: str  # path and query, never empty
    address: Address | None  # set when the host is an address literal: nothing to resolve

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def pinned(self, address: Address) -> str:
        """This URL with `address` in place of the host: the request goes nowhere else."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def parse(url: str) -> Target:
    """The target of `url`; 400 with the reason for a URL that is not a plain http(s) one."""
    if any(ord(c) < 33 or c == "\\" for c in url):
        raise BadRequest(INVALID)  # spaces, controls, backslashes: parsers disagree on them
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError as exc:  # e.g. `http://[::1`, a port that is no number
        raise BadRequest(INVALID) from exc
    if parts.scheme not in _DEFAULT_PORTS or not hostname:
        raise BadRequest("Only http and https URLs can be fetched")
    if "@" in parts.netloc:
        raise BadRequest("URLs with a user name or password are not fetched")
    try:
        address = literal(hostname)
        host = str(address) if address is not None else hostname.encode("idna").decode()
    except (ValueError, UnicodeError) as exc:
        raise BadRequest(INVALID) from exc
    if address is None and not _NAME.fullmatch(host):
        raise BadRequest(INVALID)  # percent signs, brackets, empty labels...
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/"):
        raise BadRequest(INVALID)
    return Target(
        url=parts._replace(fragment="").geturl(),
        scheme=parts.scheme,
        host=host,
        port=port or _DEFAULT_PORTS[parts.scheme],
        path=path,
        address=address,
    )


def origin(url: str) -> str:
    """`scheme://host[:port]` of `url`, for logs: a webhook's or a signed picture's path and
    query may be its credential."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    return f"{parts.scheme}://{host}{port}"


_URL = re.compile(r"https?://[^\s'\"<>]+", re.IGNORECASE)


def redacted(text: str) -> str:
    """`text` (an error naming the URL that failed, or a hop it was sent to) with every URL
    cut down to its origin."""
    return _URL.sub(lambda found: origin(found.group(0)), text)
