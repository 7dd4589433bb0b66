"""The transport under the shared httpx client: aiohttp's connection pool, loaded lazily.

httpx's own pool (httpcore) re-checks every pooled connection on each request and release,
which made it most of owlet's CPU at 64 concurrent upstream calls; over aiohttp's pool the
same client serves about twice the requests per second (docs/gateway.md, `bench/gateway.py`).
aiohttp is imported on the first upstream request, so it costs start-up nothing.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from httpx_aiohttp import AiohttpTransport


class LazyAiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._transport: AiohttpTransport | None = None
        self._ssl = ssl_context  # None: aiohttp's default, the system's trusted CAs

    def _get(self) -> AiohttpTransport:
        if self._transport is None:
            import aiohttp
            from httpx_aiohttp import AiohttpTransport

            # No pool cap (thousands of streams may be open); no proxies from the environment.
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ssl=self._ssl or True)
            session = aiohttp.ClientSession(connector=connector, trust_env=False)
            self._transport = AiohttpTransport(client=session)
        return self._transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._get().handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()
