"""The web client's files, served unmodified from its build folder (reference §1.1).

* `/` and every client route (`/c/<id>`, `/auth`, `/admin/...`): `index.html`, the SPA
  fallback; a missing `.js` file, or a path under an API prefix, stays a JSON 404;
* `/_app/immutable/...` (content-hashed names): cached for a year; everything else is
  revalidated (ETag / Last-Modified);
* `/static/*` comes from the build's `static/` folder, as Open WebUI refills its own.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/ollama/", "/openai/", "/ws/", "/oauth/", "/cache/", "/static/")
IMMUTABLE = "public, max-age=31536000, immutable"


class SpaFiles(StaticFiles):
    """StaticFiles with the SPA fallback and the web client's cache rules."""

    def __init__(self, folder: Path) -> None:
        super().__init__(directory=folder, html=True, check_dir=True)
        self.index = folder / "index.html"

    async def get_response(self, path: str, scope: Scope) -> Response:
        request_path = str(scope.get("path") or "/")
        if request_path.startswith(API_PREFIXES):  # an API path no route matched
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            response = None
        if response is None or response.status_code == 404:
            if request_path.endswith(".js"):
                return JSONResponse({"detail": "Not Found"}, status_code=404)
            response = await super().get_response("index.html", scope)
        if request_path.startswith("/_app/immutable/"):
            response.headers["Cache-Control"] = IMMUTABLE
        elif "cache-control" not in response.headers:
            response.headers["Cache-Control"] = "no-cache"
        return response


def static_files(folder: Path) -> StaticFiles | None:
    static = folder / "static"
    return StaticFiles(directory=static) if static.is_dir() else None
