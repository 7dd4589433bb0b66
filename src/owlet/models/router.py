"""`/api/models` (the merged list) and `/api/v1/models/*` (custom model records)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse, Response

from owlet.core.images import decode_data_image, default_picture
from owlet.core.validation import CleanText, Form
from owlet.deps import (
    AdminUser,
    ConfigDep,
    ContainerDep,
    SessionDep,
    VerifiedUser,
    end_transaction,
)
from owlet.errors import BadRequest, NotFound
from owlet.models.registry import ModelNotFound, ModelRegistry
from owlet.models.schemas import (
    ModelAccessForm,
    ModelAccessResponse,
    ModelExportItem,
    ModelForm,
    ModelId,
    ModelIdForm,
    ModelImportForm,
    ModelListResponse,
    ModelModel,
    ModelsResponse,
    ModelSyncForm,
)
from owlet.models.service import ModelService
from owlet.providers.answer import ModelUnavailable
from owlet.providers.gateway import unload


def wire(model: dict[str, Any]) -> dict[str, Any]:
    """A model entry as listed: without the node indexes kept beside it for routing (an
    Ollama model names its nodes in `ollama.urls`, as Open WebUI's do)."""
    return {"tags": [], **{k: v for k, v in model.items() if k != "urls"}}


router = APIRouter(tags=["models"])
records = APIRouter(prefix="/api/v1/models", tags=["models"])


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> ModelService:
    return ModelService(session, container, config)


async def get_registry(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> ModelRegistry:
    return ModelRegistry(session, container, config)


Service = Annotated[ModelService, Depends(get_service)]
Registry = Annotated[ModelRegistry, Depends(get_registry)]
ModelIdQuery = Annotated[ModelId, Query()]
Text = Annotated[CleanText | None, Query(max_length=500)]


@router.get("/api/models", response_model=ModelsResponse)
@router.get("/api/v1/models", response_model=ModelsResponse)
async def list_models(user: VerifiedUser, registry: Registry, refresh: bool = False) -> Any:
    return {"data": [wire(m) for m in await registry.visible(user, refresh=refresh)]}


@router.get("/api/models/base", response_model=ModelsResponse)
async def list_base_models(_admin: AdminUser, container: ContainerDep, config: ConfigDep) -> Any:
    return {"data": [wire(m) for m in await container.catalog.base_models(config)]}


class UnloadForm(Form):
    model: ModelId


@router.post("/api/models/unload")
async def unload_model(
    form: UnloadForm,
    admin: AdminUser,
    registry: Registry,
    container: ContainerDep,
    config: ConfigDep,
    session: SessionDep,
) -> Any:
    try:
        resolved = await registry.resolve(admin, form.model)
    except ModelNotFound:
        raise NotFound(f'Model "{form.model}" not found') from None
    await end_transaction(session)
    try:
        return await unload(container.upstream, config, resolved.base)
    except ModelUnavailable:
        raise NotFound(f'Model "{form.model}" not found') from None


@records.get("/list", response_model=ModelListResponse)
async def list_presets(
    user: VerifiedUser,
    service: Service,
    query: Text = None,
    view_option: Text = None,
    tag: Text = None,
    order_by: Text = None,
    direction: Text = None,
    page: Annotated[int | None, Query(le=1_000_000)] = None,
) -> ModelListResponse:
    items, total = await service.list_presets(
        user,
        query=query,
        view_option=view_option,
        tag=tag,
        order_by=order_by,
        direction=direction,
        page=page,
    )
    return ModelListResponse(items=items, total=total)


@records.get("/all", response_model=list[ModelModel])
async def all_records(_admin: AdminUser, service: Service) -> list[ModelModel]:
    """Every model record, presets and base-model overrides alike (the admin "Models" tab)."""
    return await service.all_records()


@records.get("/base/tags", response_model=list[str])
async def base_tags(admin: AdminUser, service: Service) -> list[str]:
    return await service.tags(admin, base_only=True)


@records.get("/base", response_model=list[ModelModel])
async def base_records(_admin: AdminUser, service: Service, tag: Text = None) -> list[ModelModel]:
    return await service.base_records(tag)


@records.get("/tags", response_model=list[str])
async def tags(user: VerifiedUser, service: Service) -> list[str]:
    return await service.tags(user)


@records.post("/create", response_model=ModelModel)
async def create_model(form: ModelForm, user: VerifiedUser, service: Service) -> ModelModel:
    return await service.create(user, form)


@records.get("/export", response_model=list[ModelExportItem])
async def export_models(user: VerifiedUser, service: Service) -> list[ModelExportItem]:
    return await service.export(user)


@records.post("/sync", response_model=list[ModelModel])
async def sync_models(form: ModelSyncForm, admin: AdminUser, service: Service) -> list[ModelModel]:
    ids = [m.id for m in form.models]
    if len(ids) != len(set(ids)):
        raise BadRequest("Model ids must be unique.")
    return await service.sync(admin, form.models)


@records.post("/import", response_model=bool)
async def import_models(form: ModelImportForm, user: VerifiedUser, service: Service) -> bool:
    return await service.import_models(user, form.models)


@records.get("/model", response_model=ModelAccessResponse)
async def get_model(id: ModelIdQuery, user: VerifiedUser, service: Service) -> ModelAccessResponse:
    return await service.get(user, id)


@records.get(
    "/model/profile/image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 302: {"description": "Redirect"}},
)
async def model_image(id: ModelIdQuery, user: VerifiedUser, service: Service) -> Response:
    record = await service.picture_record(user, id)
    if record is None:
        return default_picture()
    url = str((record.meta or {}).get("profile_image_url") or "")
    if url.startswith(("http://", "https://", "/static/")):
        return RedirectResponse(url, status_code=302)
    image = decode_data_image(url)
    if image is not None:
        return Response(image[1], media_type=image[0], headers={"ETag": str(record.updated_at)})
    return default_picture()


@records.post("/model/toggle", response_model=ModelModel)
async def toggle_model(id: ModelIdQuery, user: VerifiedUser, service: Service) -> ModelModel:
    return await service.toggle(user, id)


@records.post("/model/update", response_model=ModelModel)
async def update_model(form: ModelForm, user: VerifiedUser, service: Service) -> ModelModel:
    return await service.update(user, form, form.model_fields_set)


@records.post("/model/access/update", response_model=ModelModel)
async def update_model_access(
    form: ModelAccessForm, user: VerifiedUser, service: Service
) -> ModelModel:
    return await service.update_access(user, form)


@records.post("/model/delete", response_model=bool)
async def delete_model(form: ModelIdForm, user: VerifiedUser, service: Service) -> bool:
    return await service.delete(user, form.id)


@records.delete("/delete/all", response_model=bool)
async def delete_all_models(_admin: AdminUser, service: Service) -> bool:
    return await service.delete_all()
