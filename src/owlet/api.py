"""THE URL map: every router under its Open WebUI prefix."""

from __future__ import annotations

from fastapi import APIRouter

from owlet.auth.router import router as auths
from owlet.groups.router import router as groups
from owlet.users.router import router as users
from owlet.web.router import router as web

router = APIRouter()
router.include_router(web)
router.include_router(auths)
router.include_router(users)
router.include_router(groups)
