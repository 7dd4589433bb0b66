"""The pinned connection still checks TLS against the name in the URL, not the address.

A real TLS server on loopback holds a certificate for `good.test` only (no IP in it), from
a CA the client trusts; the fake DNS sends both `good.test` and `evil.test` to it.
"""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from owlet.core.egress import Egress
from owlet.errors import BadRequest
from owlet.providers.transport import LazyAiohttpTransport
from tests.fakes.dns import FakeDns


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None,
    signer: ec.EllipticCurvePrivateKey, ca: bool,
) -> x509.Certificate:  # fmt: skip
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[int, Path, list[str], list[str]]]:
    """(port, CA file, SNI names seen, Host headers seen) of an HTTPS server for good.test."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("owlet test CA", ca_key, None, ca_key, ca=True)
    leaf = _cert("good.test", key, ca.subject, ca_key, ca=False)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    sni: list[str] = []
    hosts: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    context.sni_callback = lambda _sock, name, _ctx: sni.append(str(name)) and None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            hosts.append(self.headers.get("Host", ""))
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            return None

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            return None  # a refused handshake is the point of one test

    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], tmp_path / "ca.pem", sni, hosts
    server.shutdown()
    server.server_close()


@pytest_asyncio.fixture
async def egress(tls_site: tuple[int, Path, list[str], list[str]]) -> AsyncIterator[Egress]:
    trusted = ssl.create_default_context(cafile=str(tls_site[1]))
    with FakeDns({"good.test": [["127.0.0.1"]], "evil.test": [["127.0.0.1"]]}) as dns:
        transport = LazyAiohttpTransport(trusted)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as http:
            yield Egress(http, allow_private=True, resolver=dns.resolver())


async def test_certificate_is_checked_against_the_name_not_the_address(
    egress: Egress, tls_site: tuple[int, Path, list[str], list[str]]
) -> None:
    port, _, sni, hosts = tls_site
    url, body = await egress.fetch_text(f"https://good.test:{port}/", max_bytes=100, seconds=10)
    assert (url, body) == (f"https://good.test:{port}/", "hello")
    assert sni == ["good.test"] and hosts == [f"good.test:{port}"]

    # Same address, another name: the certificate does not name it, so nothing is sent.
    for wrong in (f"https://evil.test:{port}/", f"https://127.0.0.1:{port}/"):
        with pytest.raises(BadRequest, match="certificate was refused") as refused:
            await egress.fetch_text(wrong, max_bytes=100, seconds=10)
        assert "mismatch" in refused.value.detail, refused.value.detail
    assert hosts == [f"good.test:{port}"]
    assert "evil.test" in sni  # an address literal sends no SNI, and is checked as an address
