"""`POST /api/v1/retrieval/process/url`: what the 0.12.4 web client calls to attach a web page
to a chat, or to add one to a knowledge base. One fetch through the egress guard; the
answer's `type` says what the URL held, as Open WebUI 0.12.4 decides it:

* `web`: an HTML page not sent as an attachment. Its text is embedded into the page's own
  collection (or `collection_name`), as `process/web` does; no file row.
* `image`: a PNG, JPEG, GIF or WebP by its bytes. Stored as a file, never processed.
* `file`: anything else. Stored and processed as an upload (`file-<id>`); an empty body is
  refused before anything is stored, and a file nothing can be read from is removed again;
  both answer a 400 saying why.
"""

from __future__ import annotations

import io
import mimetypes
from email.message import Message
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.egress import Fetched
from owlet.errors import BadRequest, Forbidden, Messages
from owlet.files.processing import FAILED
from owlet.files.service import FileService
from owlet.retrieval import rag, web
from owlet.retrieval.index import file_collection
from owlet.tables import User
from owlet.users import permissions as user_permissions

_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
          b"GIF87a": "image/gif", b"GIF89a": "image/gif"}  # fmt: skip


def image_type(body: bytes) -> str | None:
    """The raster image type of `body` by its first bytes (WebP: `RIFF....WEBP`)."""
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC.items() if body.startswith(magic)), None)


def filename_of(fetched: Fetched, kind: str) -> str:
    """Content-Disposition's filename, else the URL path's last part, else `download`; an
    extension from the content type when the name has none."""
    message = Message()
    message["content-disposition"] = fetched.headers.get("content-disposition", "")
    name = message.get_filename() or unquote(PurePosixPath(urlsplit(fetched.url).path).name)
    name = PurePosixPath(name.replace("\\", "/")).name.strip() or "download"
    if not PurePosixPath(name).suffix:
        name += mimetypes.guess_extension(kind) or ""
    return name[:255]


async def require_web_upload(session: AsyncSession, config: ConfigStore, user: User) -> None:
    """`chat.web_upload`: 403 for a non-admin without it. Open WebUI's client checks it and
    its server does not; here the server does, for `process/url` and `process/web`."""
    if user.role == "admin":
        return
    permissions = await user_permissions.effective(session, config, user.id)
    if not user_permissions.has(permissions, "chat.web_upload"):
        raise Forbidden(Messages.ACCESS_PROHIBITED)


async def process_url(
    session: AsyncSession,
    container: Container,
    config: ConfigStore,
    user: User,
    url: str,
    collection_name: str | None,
    process: bool,
) -> dict[str, Any]:
    await require_web_upload(session, config, user)
    if collection_name:  # a page's target; files and images go to their own
        await rag.check_collection(session, container, user, collection_name, write=True)
    await session.commit()  # no connection held while the URL loads
    cap = min(container.settings.max_upload_size, 64 * 1024 * 1024)
    fetched = await web.fetch(container.egress, url, cap)
    attachment = fetched.headers.get("content-disposition", "").lower().startswith("attachment")
    if web.looks_like_html(fetched) and not attachment:
        return await _page(container, config, url, collection_name, process, fetched)
    if not fetched.body.strip():
        raise BadRequest(web.EMPTY)
    image = image_type(fetched.body)
    kind = image or web.media_type(fetched) or "application/octet-stream"
    if not image and kind.startswith("image/"):
        raise BadRequest("[ERROR: Invalid image content]")
    upload = UploadFile(
        io.BytesIO(fetched.body),
        size=len(fetched.body),
        filename=filename_of(fetched, kind),
        headers=Headers({"content-type": kind}),
    )
    files = FileService(session, container, config)
    processed = process and not image  # an image is stored, never processed
    stored = await files.upload(user, upload, {"source_url": url}, processed, False)
    stored.pop("status", None)
    data = stored.get("data") or {}
    if data.get("status") == FAILED:
        await files.delete(user, stored["id"])
        raise BadRequest(str(data.get("error") or web.EMPTY))
    return {
        "status": True, "type": "image" if image else "file", "name": stored["filename"],
        "url": url, "collection_name": file_collection(stored["id"]) if processed else None,
        "content": None, "file": stored,
    }  # fmt: skip


async def _page(
    container: Container,
    config: ConfigStore,
    url: str,
    collection_name: str | None,
    process: bool,
    fetched: Fetched,
) -> dict[str, Any]:
    text = await web.readable_text(fetched)
    name = collection_name or web.web_collection(url)
    if process:
        await web.index_page(container.retrieval, config, name, url, text, overwrite=True)
    return {
        "status": True, "type": "web", "name": url, "url": url,
        "collection_name": name if process else None, "content": text, "file": None,
    }  # fmt: skip
