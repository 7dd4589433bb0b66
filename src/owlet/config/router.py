"""`/api/v1/configs/*`: admin-editable settings that belong to no other feature, and the
export and import of the whole config."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from owlet.auth.oauth.exported import oauth_exported
from owlet.config import features, transfer
from owlet.container import Container
from owlet.core.validation import Form, JsonObject
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep, VerifiedUser

router = APIRouter(prefix="/api/v1/configs", tags=["configs"])

ModelIds = Annotated[str, StringConstraints(max_length=10_000)]
ModelIdItem = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class ModelsConfig(BaseModel):
    DEFAULT_MODELS: str | None
    DEFAULT_PINNED_MODELS: str | None
    MODEL_ORDER_LIST: list[str]
    DEFAULT_MODEL_METADATA: dict[str, Any]
    DEFAULT_MODEL_PARAMS: dict[str, Any]


class ModelsConfigForm(Form):
    DEFAULT_MODELS: ModelIds | None = None
    DEFAULT_PINNED_MODELS: ModelIds | None = None
    MODEL_ORDER_LIST: list[ModelIdItem] | None = Field(default=None, max_length=10_000)
    DEFAULT_MODEL_METADATA: JsonObject | None = None
    DEFAULT_MODEL_PARAMS: JsonObject | None = None


# form field -> config key
_MODELS_KEYS = {
    "DEFAULT_MODELS": "ui.default_models",
    "DEFAULT_PINNED_MODELS": "ui.default_pinned_models",
    "MODEL_ORDER_LIST": "ui.model_order_list",
    "DEFAULT_MODEL_METADATA": "models.default_metadata",
    "DEFAULT_MODEL_PARAMS": "models.default_params",
}

_EMPTY: dict[str, Any] = {
    "MODEL_ORDER_LIST": [],
    "DEFAULT_MODEL_METADATA": {},
    "DEFAULT_MODEL_PARAMS": {},
}


def _models_config(values: dict[str, Any]) -> ModelsConfig:
    return ModelsConfig(
        DEFAULT_MODELS=values["ui.default_models"],
        DEFAULT_PINNED_MODELS=values["ui.default_pinned_models"],
        MODEL_ORDER_LIST=list(values["ui.model_order_list"] or []),
        DEFAULT_MODEL_METADATA=dict(values["models.default_metadata"] or {}),
        DEFAULT_MODEL_PARAMS=dict(values["models.default_params"] or {}),
    )


@router.get("/models", response_model=ModelsConfig)
async def models_config(_admin: AdminUser, config: ConfigDep) -> ModelsConfig:
    return _models_config(config.snapshot())


@router.get("/models/defaults")
async def model_defaults(_user: VerifiedUser, config: ConfigDep) -> dict[str, Any]:
    """What a new model starts from, for the model editor (which users open too)."""
    return {"DEFAULT_MODEL_METADATA": dict(config.get("models.default_metadata") or {})}


@router.post("/models", response_model=ModelsConfig)
async def update_models_config(
    form: ModelsConfigForm, _admin: AdminUser, config: ConfigDep, session: SessionDep
) -> ModelsConfig:
    """Fields sent replace the stored ones (`null` clears); fields left out are kept."""
    sent = form.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    for field_name, key in _MODELS_KEYS.items():
        if field_name in sent:
            value = sent[field_name]
            values[key] = _EMPTY.get(field_name) if value is None else value
    await config.stage(session, values)
    return _models_config({**config.snapshot(), **values})


class BannerModel(BaseModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    type: Literal["info", "success", "warning", "error"] = "info"
    title: Annotated[str, StringConstraints(max_length=1_000)] | None = None
    content: Annotated[str, StringConstraints(max_length=10_000)] = ""
    dismissible: bool = True
    timestamp: int = 0
    i18n: JsonObject | None = None  # per-locale title and content


class BannersForm(Form):
    banners: list[BannerModel] = Field(default_factory=list, max_length=100)


@router.get("/banners", response_model=list[BannerModel])
async def banners(_user: VerifiedUser, config: ConfigDep) -> list[dict[str, Any]]:
    """The banners the web client shows at the top (`WEBUI_BANNERS`, then admin-edited)."""
    return list(config.get("ui.banners") or [])


@router.post("/banners", response_model=list[BannerModel])
async def update_banners(
    form: BannersForm, _admin: AdminUser, config: ConfigDep, session: SessionDep
) -> list[dict[str, Any]]:
    values = [banner.model_dump() for banner in form.banners]
    await config.stage(session, {"ui.banners": values})
    return values


class ConnectionsConfig(Form):
    ENABLE_DIRECT_CONNECTIONS: bool
    ENABLE_DIRECT_INTEGRATIONS: bool | None = None  # left out: kept
    ENABLE_BASE_MODELS_CACHE: bool


_CONNECTION_KEYS = {
    "ENABLE_DIRECT_CONNECTIONS": "direct.enable",
    "ENABLE_DIRECT_INTEGRATIONS": "direct.integrations.enable",
    "ENABLE_BASE_MODELS_CACHE": "models.base_models_cache",
}


def _connections(values: dict[str, Any]) -> dict[str, bool]:
    return {name: bool(values[key]) for name, key in _CONNECTION_KEYS.items()}


@router.get("/connections")
async def connections_config(_admin: AdminUser, config: ConfigDep) -> dict[str, bool]:
    """Stored only: owlet has no direct connections and caches base models its own way."""
    return _connections(config.snapshot())


@router.post("/connections")
async def update_connections_config(
    form: ConnectionsConfig, _admin: AdminUser, config: ConfigDep, session: SessionDep
) -> dict[str, bool]:
    sent = form.model_dump(exclude_none=True)
    values = {key: sent[name] for name, key in _CONNECTION_KEYS.items() if name in sent}
    await config.stage(session, values)
    return _connections({**config.snapshot(), **values})


CodeExecutionForm = features.form_for("CodeExecutionForm", features.CODE_EXECUTION)


@router.get("/code_execution")
async def code_execution_config(_admin: AdminUser, config: ConfigDep) -> dict[str, Any]:
    """Stored only: owlet runs no code (docs/compatibility.md)."""
    return features.read(features.CODE_EXECUTION, config.snapshot())


@router.post("/code_execution")
async def update_code_execution_config(
    form: CodeExecutionForm,  # type: ignore[valid-type]
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
) -> dict[str, Any]:
    return await features.save(features.CODE_EXECUTION, form, config, session)


class ImportForm(Form):
    config: JsonObject


def _exported(values: dict[str, Any], container: Container) -> dict[str, Any]:
    return {**transfer.exported(values), **oauth_exported(container.settings.oauth)}


@router.get("/export")
async def export_config(
    _admin: AdminUser, config: ConfigDep, container: ContainerDep
) -> dict[str, Any]:
    return _exported(config.snapshot(), container)


@router.post("/import")
async def import_config(
    form: ImportForm,
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
    container: ContainerDep,
) -> dict[str, Any]:
    values = transfer.imported(form.config)
    await config.stage(session, values)
    return _exported({**config.snapshot(), **values}, container)
