"""Wire shapes of `/api/models` and `/api/v1/models`, with Open WebUI's field names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from owlet.access.schemas import GrantForm, GrantModel
from owlet.core.validation import Form, JsonObject, check_text

# Ids may contain `/` (e.g. `org/model`), which is why routes take them as `?id=`.
ModelId = Annotated[
    str, StringConstraints(min_length=1, max_length=256), AfterValidator(check_text)
]


class ModelForm(Form):
    id: ModelId
    base_model_id: ModelId | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    meta: JsonObject = Field(default_factory=dict)
    params: JsonObject = Field(default_factory=dict)
    access_grants: list[GrantForm] | None = None
    is_active: bool = True


class ModelIdForm(Form):
    id: ModelId


class ModelAccessForm(Form):
    id: ModelId
    name: str | None = None
    access_grants: list[GrantForm] = Field(default_factory=list)


class ModelSyncForm(Form):
    models: list[ModelForm] = Field(max_length=10_000)


class ModelImportForm(Form):
    models: list[JsonObject] = Field(max_length=10_000)


# The `meta` keys Open WebUI 0.12.4 always answers with (null when unset).
META_KEYS = (
    "profile_image_url", "background_image_url", "description", "i18n", "capabilities",
    "knowledge", "voice", "voice_avatar",
)  # fmt: skip


def full_meta(meta: dict[str, Any] | None, image: bool = True) -> dict[str, Any]:
    """`meta` with every key of META_KEYS (lists leave out `profile_image_url`: the
    picture has its own route)."""
    keys = META_KEYS if image else META_KEYS[1:]
    out = {key: None for key in keys}
    out.update(meta or {})
    if not image:
        out.pop("profile_image_url", None)
    return out


class ModelModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version_id: str | None = None
    id: str
    user_id: str
    base_model_id: str | None = None
    name: str
    params: dict[str, Any]
    meta: dict[str, Any]
    access_grants: list[GrantModel] = Field(default_factory=list)
    is_active: bool
    updated_at: int
    created_at: int


class ModelExportItem(ModelModel):
    background_image_data: str | None = None


class ModelOwner(BaseModel):
    id: str
    name: str
    role: str
    email: str


class ModelAccessResponse(ModelModel):
    user: ModelOwner | None = None
    write_access: bool = False


class ModelListResponse(BaseModel):
    items: list[ModelAccessResponse]
    total: int


class ModelsResponse(BaseModel):
    """`GET /api/models`: the OpenAI-style list, entries carry Open WebUI's extra fields."""

    model_config = ConfigDict(extra="allow")

    data: list[dict[str, Any]]
