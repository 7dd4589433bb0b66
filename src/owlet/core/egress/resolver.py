"""The resolver port: a host name to the addresses it stands for, asked once per hop."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Protocol

from owlet.core.egress.addresses import Address


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[Address]:
        """Every address `host` has now (an OSError when it has none)."""
        ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo: /etc/hosts, then DNS)."""

    async def resolve(self, host: str, port: int) -> list[Address]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: dict[Address, None] = {}
        for info in infos:
            found[ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])] = None
        return list(found)
