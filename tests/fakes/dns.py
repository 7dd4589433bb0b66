"""A real DNS server on a loopback UDP port, and the resolver the egress tests give the guard.

`FakeDns` answers A and AAAA queries from a table the test writes: each name maps to a list
of answers, one per lookup (a lookup is one A query; the last answer repeats), so a name can
change its answer between two lookups. Unknown names are NXDOMAIN. Every lookup is counted.

    with FakeDns({"rebind.test": [["93.184.215.14"], ["127.0.0.1"]]}) as dns:
        egress = Egress(http, allow_private=False, resolver=dns.resolver())
"""

from __future__ import annotations

import ipaddress
import socketserver
import threading
from collections import Counter
from types import TracebackType

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from owlet.core.egress.addresses import Address

Zone = dict[str, list[list[str]]]


class FakeDns:
    def __init__(self, zone: Zone) -> None:
        self.zone = {name.lower().rstrip("."): answers for name, answers in zone.items()}
        self.lookups: Counter[str] = Counter()
        self._lock = threading.Lock()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                sock.sendto(owner._answer(data), self.client_address)

        self._server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().lower().rstrip(".")
        if name not in self.zone:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        with self._lock:
            if question.rdtype == dns.rdatatype.A:
                self.lookups[name] += 1
            index = max(self.lookups[name] - 1, 0)
        answers = self.zone[name]
        addresses = answers[min(index, len(answers) - 1)]
        version = 4 if question.rdtype == dns.rdatatype.A else 6
        matching = [a for a in addresses if ipaddress.ip_address(a).version == version]
        if matching:
            kind = "A" if version == 4 else "AAAA"
            response.answer.append(dns.rrset.from_text(question.name, 0, "IN", kind, *matching))
        return response.to_wire()

    def resolver(self) -> DnsResolver:
        return DnsResolver(self.port)

    def __enter__(self) -> FakeDns:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class DnsResolver:
    """The guard's Resolver port, asking one DNS server (A, then AAAA) over UDP."""

    def __init__(self, port: int, server: str = "127.0.0.1") -> None:
        self.server, self.port = server, port

    async def resolve(self, host: str, port: int) -> list[Address]:
        found: list[Address] = []
        for kind in ("A", "AAAA"):
            query = dns.message.make_query(host, kind)
            reply = await dns.asyncquery.udp(query, self.server, timeout=5, port=self.port)
            if reply.rcode() == dns.rcode.NXDOMAIN:
                raise OSError(f"{host}: no such name")
            for rrset in reply.answer:
                found += [ipaddress.ip_address(r.to_text()) for r in rrset]
        return found
