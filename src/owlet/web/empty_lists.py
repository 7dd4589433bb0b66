"""Lists the web client reads for features owlet does not have yet: `/api/v1/tools/`,
`/api/v1/skills/` and `/api/v1/channels/` (and their `/list`), the prompts' paged list and
tags, and the notes search. Nothing of the kind can be made, so each is the truthful empty
answer; the tools issue replaces the tools part."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from owlet.deps import VerifiedUser

router = APIRouter(tags=["web"])


async def nothing_yet(_user: VerifiedUser) -> list[dict[str, Any]]:
    return []


for feature in ("tools", "skills", "channels"):
    for path in ("/", "/list"):
        router.add_api_route(f"/api/v1/{feature}{path}", nothing_yet, methods=["GET"],
                             name=f"{feature}{path.replace('/', '_')}")  # fmt: skip

Text = Annotated[str | None, Query(max_length=500)]
Page = Annotated[int | None, Query(le=1_000_000)]


@router.get("/api/v1/prompts/list")
async def prompts_page(
    _user: VerifiedUser,
    query: Text = None,
    view_option: Text = None,
    tag: Text = None,
    order_by: Text = None,
    direction: Text = None,
    page: Page = None,
) -> dict[str, Any]:
    return {"items": [], "total": 0}


@router.get("/api/v1/prompts/tags")
async def prompt_tags(_user: VerifiedUser) -> list[str]:
    return []


@router.get("/api/v1/notes/search")
async def notes_search(
    _user: VerifiedUser,
    query: Text = None,
    view_option: Text = None,
    permission: Text = None,
    order_by: Text = None,
    direction: Text = None,
    page: Page = None,
) -> dict[str, Any]:
    return {"items": [], "total": 0}
