"""No module outside the egress guard opens an outbound connection for a client's URL.

A static scan of src/owlet: a module that imports a networking library, calls a
connect/resolve primitive, or touches the Container's shared HTTP client (`.http`) must be
the guard or be listed in `ADMIN_ONLY` with the reason its URLs are the administrator's.
Tools and tool servers, webhook delivery and any other fetch of a client's URL go through
`owlet.core.egress.Egress` (docs/security.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import owlet

SRC = Path(owlet.__file__).parent
NETWORK_MODULES = ("httpx", "httpx_aiohttp", "aiohttp", "socket", "ssl", "urllib.request",
                   "http.client", "requests", "websockets", "ldap3", "dns")  # fmt: skip
CONNECT_CALLS = frozenset({"open_connection", "create_connection", "getaddrinfo",
                           "sock_connect", "urlopen", "open_unix_connection"})  # fmt: skip
GUARD = {"core/egress/guard.py", "core/egress/resolver.py"}
ADMIN_ONLY = {
    "container.py": "builds the one client and hands it to the guard, providers and OAuth",
    "providers/transport.py": "the shared client's transport, below every caller",
    "providers/http.py": "UpstreamClient: only the configured connections' base URLs",
    "auth/oauth/client.py": "the OAuth provider's discovery, token and userinfo endpoints",
    "auth/ldap/directory.py": "the configured LDAP server",
}


def findings(source: str) -> list[str]:
    """What in `source` can open a connection (type-checking-only imports aside)."""
    tree = ast.parse(source)
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                if any(name == m or name.startswith(m + ".") for m in NETWORK_MODULES):
                    found.append(f"imports {name}")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in CONNECT_CALLS:
                found.append(f"calls {called}")
        elif isinstance(node, ast.Attribute) and node.attr == "http":
            found.append(f"uses {ast.unparse(node)}")
    return found


def test_only_the_guard_and_admin_configured_callers_reach_the_network() -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        hits = findings(path.read_text())
        if hits:
            seen[module] = hits
    outside = {m: hits for m, hits in seen.items() if m not in GUARD and m not in ADMIN_ONLY}
    assert outside == {}, "fetch client-supplied URLs through owlet.core.egress.Egress"
    # Every exemption is still needed (a stale entry would hide a new module of that name).
    assert set(ADMIN_ONLY) <= set(seen), set(ADMIN_ONLY) - set(seen)
    assert GUARD <= set(seen)


def test_the_scan_sees_each_way_out() -> None:
    for source in (
        "import httpx\nasync def f(u): return await httpx.AsyncClient().get(u)",
        "from aiohttp import ClientSession",
        "import socket as s",
        "from urllib.request import urlopen",
        "async def f(c, u): return await c.http.get(u)",
        "import asyncio\nasync def f(h): await asyncio.open_connection(h, 80)",
        "async def f(loop, h): await loop.getaddrinfo(h, 80)",
    ):
        assert findings(source), source
    assert findings("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx") == []
    assert findings("async def f(session, m, i): return await session.get(m, i)") == []
