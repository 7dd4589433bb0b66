"""Profile images given as `data:image/...;base64,` URIs, and the fallback picture."""

from __future__ import annotations

import base64
import binascii
from importlib import resources

from fastapi.responses import FileResponse

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"})


def decode_data_image(url: str) -> tuple[str, bytes] | None:
    """(media type, bytes) of a raster data URI; None for anything else or bad base64."""
    if not url.startswith("data:"):
        return None
    header, _, payload = url.partition(",")
    media_type = header[5:].split(";", 1)[0].lower()
    if media_type not in IMAGE_TYPES or not header.endswith(";base64"):
        return None
    try:
        return media_type, base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def default_picture() -> FileResponse:
    with resources.as_file(resources.files("owlet.web").joinpath("static/user.png")) as path:
        return FileResponse(path, media_type="image/png")
