"""Which IP addresses a client-supplied URL may reach, and how a URL's host spells one."""

from __future__ import annotations

import ipaddress
import re

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not global, though Python 3.11's `is_global` says otherwise: local-use NAT64 (RFC 8215)
# translates into the operator's own network, and site-local is the old private range.
_NOT_GLOBAL = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))
_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)")


def public(address: Address) -> bool:
    """A global unicast address, including the IPv4 one inside an IPv6 address that carries
    it (IPv4-mapped or -compatible, 6to4, Teredo, NAT64)."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _NOT_GLOBAL):
            return False
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address.teredo is not None:
            inner = address.teredo[1]
        if inner is None and (address in NAT64 or int(address) >> 32 == 0):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return public(inner)
    return True


def literal(host: str) -> Address | None:
    """The address a URL host spells, or None for a name to resolve.

    Browsers (the WHATWG URL rules) and C's inet_aton read `2130706433`, `0x7f.1`, `0177.0.0.1`
    and `127.1` as 127.0.0.1, so a host whose last label is a number is read the same way
    here, and one that is not a valid address then is refused (ValueError) rather than sent to
    a resolver that might read it differently.
    """
    if ":" in host:
        return ipaddress.IPv6Address(host.split("%", 1)[0])
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot, as in a fully qualified name
    if not _NUMBER.fullmatch(labels[-1]):
        return None
    return ipaddress.IPv4Address(_ipv4(labels))


def _ipv4(labels: list[str]) -> int:
    if len(labels) > 4 or not all(_NUMBER.fullmatch(label) for label in labels):
        raise ValueError("not an IPv4 address")
    numbers = [_number(label) for label in labels]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError("not an IPv4 address")
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return value


def _number(label: str) -> int:
    if label[:2].lower() == "0x":
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8)  # ValueError for 8 or 9, as the rules say
    return int(label)
