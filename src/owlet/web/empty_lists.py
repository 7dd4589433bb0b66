"""Lists the web client reads for features owlet does not have yet: `/api/v1/tools/`,
`/api/v1/skills/` and `/api/v1/channels/` (and their `/list`). Nothing of the kind can be
made, so each is the truthful empty list; the tools issue replaces the tools part."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from owlet.deps import VerifiedUser

router = APIRouter(tags=["web"])


async def nothing_yet(_user: VerifiedUser) -> list[dict[str, Any]]:
    return []


for feature in ("tools", "skills", "channels"):
    for path in ("/", "/list"):
        router.add_api_route(f"/api/v1/{feature}{path}", nothing_yet, methods=["GET"],
                             name=f"{feature}{path.replace('/', '_')}")  # fmt: skip
