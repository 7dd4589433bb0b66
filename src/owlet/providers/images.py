"""Image URLs in a chat body fetched through the egress guard and inlined as data URIs, for
upstreams that take image bytes only (Ollama's `images` is base64, never a URL)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from owlet.core.egress import Egress
from owlet.errors import BadRequest

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # per image; a larger one is refused, not truncated
FETCH_SECONDS = 30.0


def _remote(part: Any) -> str | None:
    """The http(s) URL of an `image_url` content part, if that is what it holds."""
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if isinstance(url, str) and url[:8].lower().startswith(("http://", "https://")):
        return url
    return None


def _remote_urls(body: dict[str, Any]) -> list[str]:
    urls: dict[str, None] = {}
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if (url := _remote(part)) is not None:
                urls[url] = None
    return list(urls)


async def _data_uri(egress: Egress, url: str) -> str:
    fetched = await egress.fetch(url, max_bytes=MAX_IMAGE_BYTES, seconds=FETCH_SECONDS)
    if fetched.status >= 400:
        raise BadRequest(f"Fetching the image {url} failed with status {fetched.status}")
    kind = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith("image/"):
        raise BadRequest(f"{url} is not an image ({kind or 'no content type'})")
    return f"data:{kind};base64,{base64.b64encode(fetched.body).decode()}"


async def inline_images(body: dict[str, Any], egress: Egress) -> dict[str, Any]:
    """`body` with every http(s) image URL replaced by the image's data URI; `body` itself
    when it has none (the common case costs one walk over the messages)."""
    urls = _remote_urls(body)
    if not urls:
        return body
    fetched = await asyncio.gather(*(_data_uri(egress, url) for url in urls))
    inlined = dict(zip(urls, fetched, strict=True))

    def part_of(part: Any) -> Any:
        url = _remote(part)
        return part if url is None else {"type": "image_url", "image_url": {"url": inlined[url]}}

    messages = []
    for message in body["messages"]:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            message = {**message, "content": [part_of(p) for p in content]}
        messages.append(message)
    return {**body, "messages": messages}
