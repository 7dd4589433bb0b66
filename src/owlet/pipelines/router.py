"""`/api/v1/pipelines/list`: the connections that are Pipelines servers. owlet cannot mark a
connection as one yet, so the list is truthfully empty (what Open WebUI answers without any)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from owlet.deps import AdminUser

router = APIRouter(prefix="/api/v1/pipelines", tags=["pipelines"])


@router.get("/list")
async def pipeline_servers(_admin: AdminUser) -> dict[str, list[Any]]:
    return {"data": []}
