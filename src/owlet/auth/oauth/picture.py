"""The provider's picture claim as a profile image: fetched through the egress guard and kept
as a `data:` URI, as Open WebUI keeps it. A picture that cannot be had never fails a sign-in.

The claim's URL is the user's to set at many providers, so it is fetched like any URL a
client supplied (core/egress: private addresses refused unless ENABLE_LOCAL_URL_FETCH), with
no credentials (the provider's access token is never sent to it), small and quickly.
"""

from __future__ import annotations

import base64
import logging

from owlet.core.egress import Egress, origin, redacted
from owlet.core.images import IMAGE_TYPES
from owlet.errors import AppError

log = logging.getLogger(__name__)

DEFAULT_PICTURE = "/user.png"
# 1 MiB is about 1.4 million base64 characters, inside the 2 million a profile image may be
# (core/validation.py), so the stored picture is one a user could also have set.
MAX_PICTURE_BYTES = 1024 * 1024
FETCH_SECONDS = 5.0


async def fetch_picture(egress: Egress, url: object) -> str | None:
    """`url`'s image as a data URI; None when there is no URL or it gives no raster image."""
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    try:
        fetched = await egress.fetch(url, max_bytes=MAX_PICTURE_BYTES, seconds=FETCH_SECONDS)
    except AppError as exc:  # refused by the guard, too large, too slow, unreachable
        log.warning("oauth: not using the picture from %s: %s", origin(url),
                    redacted(str(exc.detail)))  # fmt: skip
        return None
    kind = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    if not 200 <= fetched.status < 300 or kind not in IMAGE_TYPES or not fetched.body:
        # SVG is left out on purpose: it can carry script, and the image route serves it back.
        log.warning("oauth: not using the picture from %s: status %s, type %r", origin(url),
                    fetched.status, kind)  # fmt: skip
        return None
    return f"data:{kind};base64,{base64.b64encode(fetched.body).decode()}"
