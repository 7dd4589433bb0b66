"""`/api/v1/images/config`: the admin "Images" tab's settings, stored; owlet generates and
edits no images yet (docs/compatibility.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from owlet.config import features
from owlet.deps import AdminUser, ConfigDep, SessionDep

router = APIRouter(prefix="/api/v1/images", tags=["images"])

ImagesConfigForm = features.form_for("ImagesConfigForm", features.IMAGES)


@router.get("/config")
async def images_config(_admin: AdminUser, config: ConfigDep) -> dict[str, Any]:
    return features.read(features.IMAGES, config.snapshot())


@router.post("/config/update")
async def update_images_config(
    form: ImagesConfigForm,  # type: ignore[valid-type]
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
) -> dict[str, Any]:
    return await features.save(features.IMAGES, form, config, session)
