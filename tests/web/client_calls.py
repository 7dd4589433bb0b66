"""The HTTP calls the pinned Open WebUI web client makes, read from its built sources.

The fetched build (`owlet fetch-frontend`) ships source maps whose `sourcesContent` holds the
client's `src/lib/apis/**` modules; every `fetch(`<base>/path`, { method: 'X'` in them is a
call. Template parts other than the base URLs become `X`, the query string is dropped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

BASES = {
    "WEBUI_API_BASE_URL": "/api/v1",
    "RETRIEVAL_API_BASE_URL": "/api/v1/retrieval",
    "AUDIO_API_BASE_URL": "/api/v1/audio",
    "IMAGES_API_BASE_URL": "/api/v1/images",
    "OLLAMA_API_BASE_URL": "/ollama",
    "OPENAI_API_BASE_URL": "/openai",
    "WEBUI_BASE_URL": "",
}
_CALL = re.compile(r"fetch\(\s*`([^`]+)`\s*,\s*\{\s*method:\s*'(\w+)'")
_PART = re.compile(r"\$\{([^}]+)\}")


def api_sources(build: Path) -> dict[str, str]:
    """`lib/apis/...` module path -> its source text, from every source map of the build."""
    sources: dict[str, str] = {}
    for map_file in sorted((build / "_app" / "immutable").rglob("*.js.map")):
        try:
            data = json.loads(map_file.read_text())
        except ValueError:
            continue
        texts = data.get("sourcesContent") or []
        for name, text in zip(data.get("sources", []), texts, strict=False):
            if text and "/lib/apis/" in name:
                sources.setdefault(name.split("/lib/apis/", 1)[1], text)
    return sources


def _path(template: str) -> str:
    def part(match: re.Match[str]) -> str:
        return BASES.get(match.group(1).strip(), "X")

    path = _PART.sub(part, template).split("?", 1)[0]
    # A part glued to a word (`/models${base ? '/base' : ''}`) is an optional suffix.
    return re.sub(r"(?<=[^/])X", "", path)


def client_calls(build: Path) -> set[tuple[str, str]]:
    """(METHOD, path) for every call; a call on a path that is only a variable is left out
    (the client's direct calls to a connection's own URL)."""
    calls = set()
    for text in api_sources(build).values():
        for match in _CALL.finditer(text):
            path = _path(match.group(1))
            if path.startswith("/"):
                calls.add((match.group(2).upper(), path))
    return calls
