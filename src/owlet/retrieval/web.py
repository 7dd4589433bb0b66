"""Web pages as retrieval sources (`POST /api/v1/retrieval/process/web`): the page fetched
through the egress guard, its readable text, and that text chunked and embedded like any other.

A page is fetched as any client-supplied URL is (core/egress: private addresses refused
unless ENABLE_LOCAL_URL_FETCH, redirects re-checked, size and time capped). HTML becomes
text with the file extractor's parser (files/extract.py); plain text, JSON and XML are kept
as they are; anything else (images, PDFs, archives) is refused, as no loader reads it here.
"""

from __future__ import annotations

import hashlib
from typing import Any

import anyio

from owlet.config.store import ConfigStore
from owlet.core.egress import Egress, Fetched
from owlet.errors import BadRequest
from owlet.files.extract import html_text
from owlet.retrieval.index import Retrieval

MAX_PAGE_BYTES = 10 * 1024 * 1024  # the body as sent; a larger page is refused, not cut
FETCH_SECONDS = 30.0  # the whole exchange, redirects included
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"application/json", "application/xml", "application/ld+json"})
EMPTY = "The content provided is empty. Please ensure that there is text or data present " \
        "before proceeding."  # fmt: skip


def web_collection(url: str) -> str:
    """A page's own collection when the client names none, as Open WebUI names it."""
    return hashlib.sha256(url.encode()).hexdigest()[:63]


async def page_text(egress: Egress, url: str) -> str:
    """The readable text of the page at `url`; a 400 saying why when there is none."""
    return await readable_text(await fetch(egress, url, MAX_PAGE_BYTES))


async def fetch(egress: Egress, url: str, max_bytes: int) -> Fetched:
    """`url` through the egress guard; a 400 when it answers an error status."""
    fetched = await egress.fetch(url, max_bytes=max_bytes, seconds=FETCH_SECONDS)
    if fetched.status >= 400:
        raise BadRequest(f"Fetching {fetched.url} failed with status {fetched.status}")
    return fetched


def media_type(fetched: Fetched) -> str:
    return fetched.headers.get("content-type", "").split(";")[0].strip().lower()


def looks_like_html(fetched: Fetched) -> bool:
    """HTML by its content type, or untyped (or `octet-stream`) and starting with `<`."""
    kind = media_type(fetched)
    if kind in HTML_TYPES:
        return True
    return kind in ("", "application/octet-stream") and fetched.body.lstrip()[:1] == b"<"


async def readable_text(fetched: Fetched) -> str:
    """HTML as text, plain text, JSON and XML as sent; a 400 for anything else or nothing."""
    kind = media_type(fetched)
    body = fetched.text()
    if looks_like_html(fetched):
        try:  # a worker thread: a large page takes the parser a while
            text = await anyio.to_thread.run_sync(html_text, body)
        except Exception as exc:  # html.parser asserts on some malformed markup
            raise BadRequest(f"The page at {fetched.url} could not be read as HTML") from exc
    elif kind.startswith("text/") or kind in TEXT_TYPES or not kind:
        text = body
    else:
        raise BadRequest(f"{fetched.url} is not a web page or text ({kind})")
    text = text.replace("\x00", "").strip()  # no database stores NUL faithfully
    if not text:
        raise BadRequest(EMPTY)
    return text


async def index_page(
    retrieval: Retrieval,
    config: ConfigStore,
    collection: str,
    url: str,
    text: str,
    overwrite: bool,
) -> None:
    """The page's chunks added to `collection`. With `overwrite`, the chunks an earlier fetch
    of the same URL left there are replaced; other documents in the collection stay."""
    metadata: dict[str, Any] = {"name": url, "source": url, "file_id": None}
    # Embedded first: a failed embedding leaves the collection as it was.
    items, vectors = await retrieval.embed_chunks(config, collection, text, metadata)
    if overwrite:  # one step: a search meanwhile finds the old page or the new one
        await retrieval.store.replace(collection, "source", url, items, vectors)
    else:
        await retrieval.store.add(collection, items, vectors)
