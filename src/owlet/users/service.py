"""Rules of `/api/v1/users`: listing, per-user settings, admin edits, first-user protection."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth import repository as auth_repository
from owlet.config.permissions import check_permission_tree, env_permissions, merge_permissions
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import now
from owlet.core.images import decode_data_image
from owlet.core.paging import Page
from owlet.core.validation import normalize_email
from owlet.errors import BadRequest, Forbidden, Messages, NotFound
from owlet.groups import repository as groups
from owlet.tables import User
from owlet.users import permissions as user_permissions
from owlet.users import repository
from owlet.users.passwords import validate_password
from owlet.users.presenter import is_active, to_user_model
from owlet.users.schemas import (
    GroupRef,
    UserInfoResponse,
    UserListItem,
    UserStatusForm,
    UserUpdateForm,
    UserWithGroups,
)

PAGE_SIZE = 30
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_VARIABLES = 200
MAX_VARIABLE_VALUE = 10_000


@dataclass(frozen=True)
class ProfileImage:
    redirect: str | None = None
    content: bytes | None = None
    media_type: str | None = None


class UserService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config

    async def require(self, user_id: str, lock: bool = False) -> User:
        """The account; `lock` for a change that depends on what is read (db/locks.py)."""
        user = await repository.get(self.session, user_id, lock)
        if user is None:
            raise NotFound(Messages.USER_NOT_FOUND)
        return user

    # -- listing ----------------------------------------------------------------------------

    async def _page(
        self, query: str | None, order_by: str | None, direction: str | None, window: Page
    ) -> tuple[Sequence[User], int]:
        return await repository.search(
            self.session,
            query=query,
            order_by=order_by,
            direction=direction,
            offset=window.offset,
            limit=window.limit,
        )

    async def list_users(
        self, *, query: str | None, order_by: str | None, direction: str | None, window: Page
    ) -> tuple[list[UserListItem], int]:
        rows, total = await self._page(query, order_by, direction, window)
        memberships = await groups.group_ids_by_user(self.session, [u.id for u in rows])
        items = [
            UserListItem(**to_user_model(u).model_dump(), group_ids=memberships.get(u.id, []))
            for u in rows
        ]
        return items, total

    async def info_list(self, rows: Sequence[User]) -> list[UserInfoResponse]:
        refs = await self._group_refs([u.id for u in rows])
        return [self._info(u, refs.get(u.id, [])) for u in rows]

    async def search(
        self, *, query: str | None, order_by: str | None, direction: str | None, window: Page
    ) -> tuple[list[UserInfoResponse], int]:
        rows, total = await self._page(query, order_by, direction, window)
        return await self.info_list(rows), total

    async def all_users(self) -> list[UserInfoResponse]:
        return await self.info_list(await repository.all_users(self.session))

    async def _group_refs(self, user_ids: list[str]) -> dict[str, list[GroupRef]]:
        memberships = await groups.group_ids_by_user(self.session, user_ids)
        wanted = {gid for ids in memberships.values() for gid in ids}
        names = {g.id: g.name for g in await groups.list_all(self.session) if g.id in wanted}
        return {
            uid: [GroupRef(id=gid, name=names[gid]) for gid in ids if gid in names]
            for uid, ids in memberships.items()
        }

    @staticmethod
    def _info(user: User, refs: list[GroupRef]) -> UserInfoResponse:
        return UserInfoResponse(
            id=user.id,
            name=user.name,
            email=user.email,
            role=user.role,
            bio=user.bio,
            last_active_at=user.last_active_at,
            timezone=user.timezone,
            groups=refs,
            is_active=is_active(user),
            status_emoji=user.status_emoji,
            status_message=user.status_message,
            status_expires_at=user.status_expires_at,
        )

    async def with_groups(self, user_id: str) -> UserWithGroups:
        user = await self.require(user_id)
        refs = (await self._group_refs([user.id])).get(user.id, [])
        return UserWithGroups(
            **to_user_model(user).model_dump(), groups=refs, is_active=is_active(user)
        )

    async def info(self, user_id: str) -> UserInfoResponse:
        user = await self.require(user_id)
        return self._info(user, (await self._group_refs([user.id])).get(user.id, []))

    # -- permissions ------------------------------------------------------------------------

    async def permissions(self, user: User) -> dict[str, Any]:
        return await user_permissions.effective(self.session, self.config, user.id)

    def default_permissions(self) -> dict[str, Any]:
        return merge_permissions(self.config.get("user.permissions") or {}, [])

    async def set_default_permissions(self, values: dict[str, Any]) -> dict[str, Any]:
        self.container.credentials.clear()  # key rights may change for anyone
        check_permission_tree(values)
        await self.config.stage(self.session, {"user.permissions": values})
        return values

    @staticmethod
    def builtin_defaults() -> dict[str, Any]:
        return env_permissions()

    # -- the caller's own settings, status, info and variables ------------------------------

    async def update_settings(self, user: User, settings: dict[str, Any]) -> dict[str, Any]:
        self.container.credentials.forget_user(user.id)
        perms = await self.permissions(user)
        admin = user.role == "admin"
        if not admin and not user_permissions.has(perms, "settings.interface"):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        ui = settings.get("ui")
        if isinstance(ui, dict):
            if not admin and not user_permissions.has(perms, "features.direct_tool_servers"):
                ui.pop("toolServers", None)
            if not admin and not user_permissions.has(perms, "features.webhooks"):
                notifications = ui.get("notifications")
                if isinstance(notifications, dict):
                    notifications.pop("webhook_url", None)
        if not admin and not user_permissions.has(perms, "features.webhooks"):
            settings.pop("notifications", None)
        user.settings = settings
        user.updated_at = now()
        await self.session.flush()
        self._event(user, "user.settings_updated", user, {"updated_fields": sorted(settings)})
        return settings

    def _check_status_enabled(self) -> None:
        if not self.config.get("users.enable_status"):
            raise Forbidden(Messages.ACTION_PROHIBITED)

    def status(self, user: User) -> User:
        self._check_status_enabled()
        return user

    async def update_status(self, user: User, form: UserStatusForm) -> User:
        self.container.credentials.forget_user(user.id)
        self._check_status_enabled()
        for field in form.model_fields_set:
            setattr(user, field, getattr(form, field))
        user.updated_at = now()
        await self.session.flush()
        return user

    async def update_info(self, user: User, values: dict[str, Any]) -> dict[str, Any]:
        self.container.credentials.forget_user(user.id)
        user.info = {**(user.info or {}), **values}
        user.updated_at = now()
        await self.session.flush()
        return user.info

    async def update_variables(self, user: User, variables: dict[str, str]) -> dict[str, str]:
        self.container.credentials.forget_user(user.id)
        if len(variables) > MAX_VARIABLES:
            raise BadRequest(f"At most {MAX_VARIABLES} variables are allowed")
        for name, value in variables.items():
            if not _VARIABLE_NAME.match(name):
                raise BadRequest(
                    f"Invalid variable name {name!r}: use letters, digits and underscores"
                )
            if len(value) > MAX_VARIABLE_VALUE:
                raise BadRequest(f"Variable {name!r} is longer than {MAX_VARIABLE_VALUE} chars")
        user.variables = dict(variables)
        user.updated_at = now()
        await self.session.flush()
        return dict(variables)

    # -- profile image ----------------------------------------------------------------------

    async def profile_image(self, user_id: str) -> ProfileImage:
        user = await self.require(user_id)
        url = user.profile_image_url or ""
        if url.startswith(("http://", "https://")):
            if self.container.settings.enable_profile_image_url_forwarding:
                return ProfileImage(redirect=url)
            return ProfileImage()
        image = decode_data_image(url)
        if image is not None:
            return ProfileImage(content=image[1], media_type=image[0])
        return ProfileImage()

    # -- admin edits ------------------------------------------------------------------------

    async def update_user(self, actor: User, user_id: str, form: UserUpdateForm) -> User:
        self.container.credentials.forget_user(user_id)
        password_hash = None
        if form.password:  # hashed first (~0.25 s): not under the lock
            validate_password(self.container.settings, form.password)
            password_hash = await self.container.hasher.hash(form.password)
        user = await self.require(user_id, lock=True)
        first = await repository.first_user_id(self.session)
        if user.id == first:
            if actor.id != first:
                raise Forbidden(Messages.ACTION_PROHIBITED)
            if form.role is not None and form.role != "admin":
                raise Forbidden(Messages.ACTION_PROHIBITED)
        if form.email is not None:
            email = normalize_email(form.email)
            if email is None:
                raise BadRequest(Messages.INVALID_EMAIL_FORMAT)
            if email != user.email:
                if await repository.get_by_email(self.session, email) is not None:
                    raise BadRequest(Messages.EMAIL_TAKEN)
                user.email = email
                await auth_repository.set_auth_email(self.session, user.id, email)
        if password_hash is not None:
            await auth_repository.set_password(self.session, user.id, password_hash)
            self.container.events.publish(self.session, "auth.password_changed", actor=actor,
                                          subject_id=user.id, subject_type="user",
                                          source="admin", data={"by_admin": True})  # fmt: skip
        role_changed = form.role is not None and form.role != user.role
        if form.role is not None:
            user.role = form.role
        if form.name is not None:
            user.name = form.name
        if form.profile_image_url is not None:
            user.profile_image_url = form.profile_image_url
        user.updated_at = now()
        await self.session.flush()
        self._event(actor, "user.updated", user, {"updated_fields": sorted(form.model_fields_set)})
        if role_changed:
            self._event(actor, "user.role_updated", user, {"role": user.role})
        return user

    def _event(self, actor: User, name: str, user: User, data: dict[str, Any]) -> None:
        """Event `name` about `user`, for the event webhooks once this commits."""
        self.container.events.publish(self.session, name, actor=actor, subject_id=user.id,
                                      data=data)  # fmt: skip

    async def delete_user(self, actor: User, user_id: str) -> bool:
        self.container.credentials.forget_user(user_id)
        user = await self.require(user_id, lock=True)
        if user.id == actor.id or user.id == await repository.first_user_id(self.session):
            raise Forbidden(Messages.ACTION_PROHIBITED)
        await repository.delete_user(self.session, user.id)
        self._event(actor, "user.deleted", user, {"email": user.email})
        return True
