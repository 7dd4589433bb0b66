"""Rules of `/api/v1/models`: custom model records, their owners, writers and readers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.access import repository as grants_repository
from owlet.access.rules import Principal, allowed_grants, can_access
from owlet.access.schemas import GrantForm, GrantModel
from owlet.access.service import principal_for
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import now, version_id
from owlet.errors import BadRequest, Conflict, Forbidden, Messages, NotFound
from owlet.models import repository
from owlet.models.records_cache import RESOURCE
from owlet.models.schemas import (
    ModelAccessForm,
    ModelAccessResponse,
    ModelExportItem,
    ModelForm,
    ModelModel,
    ModelOwner,
    full_meta,
)
from owlet.tables import Model, User
from owlet.users import permissions as user_permissions

MODEL_ID_TAKEN = "Uh-oh! This id is already registered. Please choose another id string."
PAGE_SIZE = 30


class ModelService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    async def _permissions(self, user: User) -> dict[str, Any]:
        return await user_permissions.effective(self.session, self.config, user.id)

    async def _require_permission(self, user: User, key: str) -> None:
        if user.role != "admin" and not user_permissions.has(await self._permissions(user), key):
            raise Forbidden(Messages.ACCESS_PROHIBITED)

    def _bypass(self, principal: Principal) -> bool:
        return principal.is_admin and self.container.settings.bypass_admin_access_control

    async def _grants(self, model_id: str) -> Sequence[Any]:
        return await grants_repository.for_resource(self.session, RESOURCE, model_id)

    async def _can(self, principal: Principal, record: Model, permission: str) -> bool:
        if self._bypass(principal):
            return True
        return can_access(principal, record.user_id, await self._grants(record.id), permission)

    async def _present(
        self, records: Sequence[Model], principal: Principal
    ) -> list[ModelAccessResponse]:
        grants = await grants_repository.for_resources(
            self.session, RESOURCE, [r.id for r in records]
        )
        owners = await repository.owners(self.session, [r.user_id for r in records])
        result = []
        for record in records:
            writable = self._bypass(principal) or can_access(
                principal, record.user_id, grants[record.id], "write"
            )
            owner = owners.get(record.user_id)
            result.append(
                ModelAccessResponse(
                    **self._model(record, grants[record.id]).model_dump(),
                    user=ModelOwner(
                        id=owner.id, name=owner.name, role=owner.role, email=owner.email
                    )
                    if owner
                    else None,
                    write_access=writable,
                ).model_copy(update={"params": record.params if writable else {}})
            )
        return result

    @staticmethod
    def _model(record: Model, grants: Sequence[Any]) -> ModelModel:
        return ModelModel(
            version_id=version_id(record.id, record.updated_at),
            id=record.id,
            user_id=record.user_id,
            base_model_id=record.base_model_id,
            name=record.name,
            params=record.params or {},
            meta=full_meta(record.meta),
            access_grants=[GrantModel.model_validate(g) for g in grants],
            is_active=record.is_active,
            updated_at=record.updated_at,
            created_at=record.created_at,
        )

    async def model(self, record: Model) -> ModelModel:
        return self._model(record, await self._grants(record.id))

    # -- reading ----------------------------------------------------------------------------

    async def list_presets(
        self,
        user: User,
        *,
        query: str | None,
        view_option: str | None,
        tag: str | None,
        order_by: str | None,
        direction: str | None,
        page: int | None,
    ) -> tuple[list[ModelAccessResponse], int]:
        principal = await principal_for(self.session, user)
        rows = await repository.run(self.session, repository.presets(query, order_by, direction))
        grants = await grants_repository.for_resources(self.session, RESOURCE, [r.id for r in rows])
        visible = [
            r
            for r in rows
            if self._bypass(principal) or can_access(principal, r.user_id, grants[r.id], "read")
        ]
        if view_option == "created":
            visible = [r for r in visible if r.user_id == user.id]
        elif view_option == "shared":
            visible = [r for r in visible if r.user_id != user.id]
        if tag:
            visible = [r for r in visible if tag.lower() in _tag_names(r)]
        start = (max(page or 1, 1) - 1) * PAGE_SIZE
        items = await self._present(visible[start : start + PAGE_SIZE], principal)
        for item in items:
            item.meta = full_meta(item.meta, image=False)
        return items, len(visible)

    async def base_records(self, tag: str | None) -> list[ModelModel]:
        rows = [r for r in await repository.all_models(self.session) if r.base_model_id is None]
        if tag:
            rows = [r for r in rows if tag.lower() in _tag_names(r)]
        return [ModelExportItem(**(await self.model(r)).model_dump()) for r in rows]

    async def all_records(self) -> list[ModelModel]:
        """Every record, for an admin: presets and base-model overrides, none filtered."""
        rows = await repository.all_models(self.session)
        grants = await grants_repository.for_resources(self.session, RESOURCE, [r.id for r in rows])
        return [self._model(r, grants[r.id]) for r in rows]

    async def tags(self, user: User, base_only: bool = False) -> list[str]:
        principal = await principal_for(self.session, user)
        names: set[str] = set()
        for record in await repository.all_models(self.session):
            if base_only != (record.base_model_id is None):
                continue
            if await self._can(principal, record, "read"):
                names |= _tag_names(record, lower=False)
        return sorted(names)

    async def require_readable(self, user: User, model_id: str) -> Model:
        record = await repository.get(self.session, model_id)
        if record is None:
            raise NotFound(Messages.NOT_FOUND)
        if not await self._can(await principal_for(self.session, user), record, "read"):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        return record

    async def picture_record(self, user: User, model_id: str) -> Model | None:
        """The record whose picture to show, if the caller may read it; None otherwise (the
        default picture, as Open WebUI answers for any model without an image of its own: a
        stale id in someone's settings must not break the page, and nothing leaks)."""
        record = await repository.get(self.session, model_id)
        if record is None:
            return None
        try:
            return await self.require_readable(user, model_id)
        except (NotFound, Forbidden):
            return None

    async def get(self, user: User, model_id: str) -> ModelAccessResponse:
        record = await self.require_readable(user, model_id)
        principal = await principal_for(self.session, user)
        # Open WebUI 0.12.4 names the owner in lists, not here.
        return (await self._present([record], principal))[0].model_copy(update={"user": None})

    async def export(self, user: User) -> list[ModelExportItem]:
        await self._require_permission(user, "workspace.models_export")
        principal = await principal_for(self.session, user)
        rows = (
            await repository.all_models(self.session)
            if self._bypass(principal)
            else await repository.by_owner(self.session, user.id)
        )
        return [ModelExportItem(**(await self.model(r)).model_dump()) for r in rows]

    # -- writing ----------------------------------------------------------------------------

    async def _writable(self, user: User, model_id: str) -> Model:
        record = await repository.get(self.session, model_id, lock=True)
        if record is None:
            raise NotFound(Messages.NOT_FOUND)
        if not await self._can(await principal_for(self.session, user), record, "write"):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        return record

    async def _save_grants(self, user: User, model_id: str, grants: list[GrantForm]) -> None:
        principal = await principal_for(self.session, user)
        kept = allowed_grants(principal, await self._permissions(user), "models", grants)
        await grants_repository.replace(self.session, RESOURCE, model_id, kept)

    async def create(self, user: User, form: ModelForm) -> ModelModel:
        self.container.model_records.invalidate_on_commit(self.session)
        await self._require_permission(user, "workspace.models")
        if await repository.get(self.session, form.id) is not None:
            raise Conflict(MODEL_ID_TAKEN)
        record = await repository.insert(self.session, _record(form, user.id, now()))
        if form.access_grants is not None:
            await self._save_grants(user, record.id, form.access_grants)
        self._event(user, "model.created", record)
        return await self.model(record)

    def _event(self, user: User, name: str, record: Model, **data: Any) -> None:
        """Event `name` about model `record`, for the event webhooks once this commits."""
        self.container.events.publish(
            self.session, name, actor=user, subject_id=record.id,
            data={"name": record.name, "base_model_id": record.base_model_id, **data},
        )  # fmt: skip

    async def update(self, user: User, form: ModelForm, fields: set[str]) -> ModelModel:
        self.container.model_records.invalidate_on_commit(self.session)
        record = await self._writable(user, form.id)
        record.name = form.name
        record.params = form.params
        old_image = (record.meta or {}).get("profile_image_url")
        record.meta = {**form.meta} if "meta" in fields else record.meta
        if "meta" in fields and not form.meta.get("profile_image_url") and old_image:
            record.meta = {**record.meta, "profile_image_url": old_image}  # kept, not cleared
        if "base_model_id" in fields:
            record.base_model_id = form.base_model_id
        record.is_active = form.is_active
        record.updated_at = now()
        if form.access_grants is not None:
            await self._save_grants(user, record.id, form.access_grants)
        await self.session.flush()
        self._event(user, "model.updated", record, updated_fields=sorted(fields - {"id"}))
        return await self.model(record)

    async def toggle(self, user: User, model_id: str) -> ModelModel:
        self.container.model_records.invalidate_on_commit(self.session)
        record = await self._writable(user, model_id)
        record.is_active = not record.is_active
        record.updated_at = now()
        await self.session.flush()
        return await self.model(record)

    async def update_access(self, user: User, form: ModelAccessForm) -> ModelModel:
        self.container.model_records.invalidate_on_commit(self.session)
        record = await repository.get(self.session, form.id, lock=True)
        if record is None:
            if user.role != "admin":
                raise Forbidden(Messages.ACCESS_PROHIBITED)
            stamp = now()
            record = Model(
                id=form.id,
                user_id=user.id,
                base_model_id=None,
                name=form.name or form.id,
                params={},
                meta={},
                is_active=True,
                created_at=stamp,
                updated_at=stamp,
            )
            await repository.insert(self.session, record)
        else:
            record = await self._writable(user, form.id)
            if form.name:
                record.name = form.name
            record.updated_at = now()
        await self._save_grants(user, record.id, form.access_grants)
        return await self.model(record)

    async def delete(self, user: User, model_id: str) -> bool:
        self.container.model_records.invalidate_on_commit(self.session)
        record = await self._writable(user, model_id)
        await grants_repository.delete_for(self.session, RESOURCE, record.id)
        await repository.delete_model(self.session, record.id)
        self._event(user, "model.deleted", record)
        return True

    async def delete_all(self) -> bool:
        self.container.model_records.invalidate_on_commit(self.session)
        await grants_repository.delete_all(self.session, RESOURCE)
        await repository.delete_all(self.session)
        return True

    async def sync(self, admin: User, forms: list[ModelForm]) -> list[ModelModel]:
        """Replace every record (and its grants) with exactly `forms`."""
        await self.delete_all()
        stamp = now()
        for form in forms:
            record = await repository.insert(self.session, _record(form, admin.id, stamp))
            if form.access_grants:
                await grants_repository.replace(
                    self.session, RESOURCE, record.id, form.access_grants
                )
        return [await self.model(r) for r in await repository.all_models(self.session)]

    async def import_models(self, user: User, items: list[dict[str, Any]]) -> bool:
        self.container.model_records.invalidate_on_commit(self.session)
        await self._require_permission(user, "workspace.models_import")
        for index, item in enumerate(items):
            try:
                form = ModelForm.model_validate(item)
            except ValidationError as exc:
                raise BadRequest(f"models[{index}]: {exc.errors()[0]['msg']}") from exc
            existing = await repository.get(self.session, form.id)
            if existing is None:
                await self.create(user, form)
            elif await self._can(await principal_for(self.session, user), existing, "write"):
                existing.name = form.name
                existing.params = form.params
                existing.meta = {**(existing.meta or {}), **form.meta}
                existing.base_model_id = form.base_model_id
                existing.updated_at = now()
        await self.session.flush()
        return True


def _record(form: ModelForm, owner_id: str, stamp: int) -> Model:
    return Model(
        id=form.id,
        user_id=owner_id,
        base_model_id=form.base_model_id,
        name=form.name,
        params=form.params,
        meta=form.meta,
        is_active=form.is_active,
        created_at=stamp,
        updated_at=stamp,
    )


def _owner(user: User | None) -> ModelOwner | None:
    if user is None:
        return None
    return ModelOwner(id=user.id, name=user.name, role=user.role, email=user.email)


def _tag_names(record: Model, lower: bool = True) -> set[str]:
    names = set()
    for tag in (record.meta or {}).get("tags") or []:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name:
            names.add(name.lower() if lower else name)
    return names
