"""`/api/events` (the event catalog) and `/api/events/webhooks` (admin CRUD)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from owlet import __version__
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep
from owlet.events.catalog import catalog
from owlet.events.schemas import WebhookForm, WebhookModel, WebhookUpdateForm
from owlet.events.service import WebhookService

router = APIRouter(prefix="/api/events", tags=["events"])


async def get_service(
    session: SessionDep, config: ConfigDep, container: ContainerDep
) -> WebhookService:
    return WebhookService(session, config, container.egress, container.events)


Service = Annotated[WebhookService, Depends(get_service)]


@router.get("")
async def event_catalog(_admin: AdminUser) -> dict[str, Any]:
    """`schema` is the server version, as in Open WebUI."""
    return {"schema": __version__, "events": catalog()}


@router.get("/webhooks", response_model=list[WebhookModel])
async def list_webhooks(_admin: AdminUser, service: Service) -> list[WebhookModel]:
    return service.list()


@router.post("/webhooks", response_model=WebhookModel)
async def create_webhook(form: WebhookForm, admin: AdminUser, service: Service) -> WebhookModel:
    return await service.create(admin, form)


@router.put("/webhooks/{webhook_id}", response_model=WebhookModel)
async def update_webhook(
    webhook_id: str, form: WebhookUpdateForm, admin: AdminUser, service: Service
) -> WebhookModel:
    return await service.update(admin, webhook_id, form)


@router.delete("/webhooks/{webhook_id}")
async def delete_webhook(webhook_id: str, admin: AdminUser, service: Service) -> dict[str, bool]:
    await service.delete(admin, webhook_id)
    return {"status": True}
