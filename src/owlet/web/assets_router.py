"""The web client's small routes beside its files: `/manifest.json` and `/opensearch.xml`
(public, built from `WEBUI_NAME` and `WEBUI_URL`), and `/cache/{path}` (verified: files
under `DATA_DIR/cache`, images (but SVG), audio and video inline, anything else as an
attachment)."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, Response

from owlet.core.headers import user_content_headers
from owlet.deps import ConfigDep, ContainerDep, VerifiedUser
from owlet.errors import NotFound

router = APIRouter(tags=["web"])
INLINE = ("image/", "audio/", "video/")


@router.get("/manifest.json")
async def manifest(container: ContainerDep) -> dict[str, Any]:
    name = container.settings.webui_name
    icon = {"src": "/static/logo.png", "type": "image/png", "sizes": "500x500"}
    return {
        "name": name,
        "short_name": name,
        "description": f"{name} is a self-hosted AI platform.",
        "start_url": "/",
        "display": "standalone",
        "background_color": "#343541",
        "icons": [{**icon, "purpose": "any"}, {**icon, "purpose": "maskable"}],
        "share_target": {"action": "/", "method": "GET", "params": {"text": "shared"}},
    }


@router.get("/opensearch.xml", response_class=Response)
async def opensearch(container: ContainerDep, config: ConfigDep) -> Response:
    name = escape(container.settings.webui_name)
    url = str(config.get("webui.url") or "").rstrip("/")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:moz="http://www.mozilla.org/2006/browser/search/">\n'
        f"<ShortName>{name}</ShortName>\n<Description>Search {name}</Description>\n"
        "<InputEncoding>UTF-8</InputEncoding>\n"
        f'<Image width="16" height="16" type="image/x-icon">{escape(url)}/static/favicon.png'
        "</Image>\n"
        f'<Url type="text/html" method="get" template={quoteattr(url + "/?q={searchTerms}")}/>\n'
        f"<moz:SearchForm>{escape(url)}</moz:SearchForm>\n</OpenSearchDescription>\n"
    )
    return Response(body, media_type="application/xml")


@router.get("/cache/{path:path}", response_class=Response)
async def cached(
    path: Annotated[str, Path(min_length=1, max_length=1024)],
    _user: VerifiedUser,
    container: ContainerDep,
) -> Response:
    root = (container.settings.data_dir / "cache").resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound("File not found")
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    headers = user_content_headers(media)
    if media.startswith(INLINE) and media != "image/svg+xml":  # an SVG may carry scripts
        return FileResponse(target, media_type=media, headers=headers)
    return FileResponse(target, media_type=media, headers=headers, filename=target.name,
                        content_disposition_type="attachment")  # fmt: skip
