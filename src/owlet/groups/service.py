"""Rules of `/api/v1/groups`: who sees which group, membership edits, share settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth.credential_cache import CredentialCache
from owlet.config.permissions import check_permission_tree
from owlet.core.clock import new_id, now
from owlet.errors import BadRequest, Forbidden, Messages, NotFound
from owlet.events.delivery import EventPublisher
from owlet.groups import repository
from owlet.groups.schemas import GroupExportResponse, GroupForm, GroupInfoResponse, GroupResponse
from owlet.settings import Settings
from owlet.tables import Group, User


def share_setting(group: Group) -> Any:
    config = (group.data or {}).get("config")
    return config.get("share") if isinstance(config, dict) else None


class GroupService:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        credentials: CredentialCache,
        events: EventPublisher,
    ) -> None:
        self.session = session
        self.settings = settings
        self.credentials = credentials  # membership changes what a member's key may do
        self.events = events

    def _event(self, actor: User, name: str, group: Group, **data: Any) -> None:
        """Event `name` about `group`, for the event webhooks once this commits."""
        self.events.publish(self.session, name, actor=actor, subject_id=group.id,
                            data={"name": group.name, **data})  # fmt: skip

    async def require(self, group_id: str, lock: bool = False) -> Group:
        """The group; `lock` for a change that depends on what is read (db/locks.py)."""
        group = await repository.get(self.session, group_id, lock)
        if group is None:
            raise NotFound(Messages.NOT_FOUND)
        return group

    async def respond(self, groups: Sequence[Group]) -> list[GroupResponse]:
        counts = await repository.member_counts(self.session, [g.id for g in groups])
        return [
            GroupResponse.model_validate(g).model_copy(update={"member_count": counts[g.id]})
            for g in groups
        ]

    async def one(self, group: Group) -> GroupResponse:
        return (await self.respond([group]))[0]

    async def visible(self, user: User, share: bool | None) -> list[GroupResponse]:
        if user.role == "admin":
            return await self.respond(await repository.list_all(self.session))
        if share is None:
            return await self.respond(await repository.list_for_user(self.session, user.id))
        mine = {g.id for g in await repository.list_for_user(self.session, user.id)}
        chosen = []
        for group in await repository.list_all(self.session):
            setting = share_setting(group)
            if share:
                if (
                    setting is True
                    or (setting is None and group.id in mine)
                    or (setting == "members" and group.id in mine)
                ):
                    chosen.append(group)
            elif setting is False:
                chosen.append(group)
        return await self.respond(chosen)

    def _data(self, data: dict[str, Any] | None) -> dict[str, Any]:
        data = dict(data or {})
        config = data.get("config")
        if not isinstance(config, dict):
            config = {}
        share = config.get("share", self._default_share())
        if share not in (True, False, "members"):
            raise BadRequest('data.config.share must be true, false or "members"')
        data["config"] = {**config, "share": share}
        return data

    def _default_share(self) -> bool | str:
        value = self.settings.default_group_share_permission.strip().lower()
        return {"true": True, "false": False}.get(value, "members")

    async def create(self, actor: User, form: GroupForm) -> GroupResponse:
        if form.permissions is not None:
            check_permission_tree(form.permissions)
        stamp = now()
        group = Group(
            id=new_id(),
            user_id=actor.id,
            name=form.name,
            description=form.description,
            permissions=form.permissions,
            data=self._data(form.data),
            meta=None,
            created_at=stamp,
            updated_at=stamp,
        )
        await repository.insert(self.session, group)
        self._event(actor, "group.created", group)
        return await self.one(group)

    async def update(self, actor: User, group_id: str, form: GroupForm) -> GroupResponse:
        self.credentials.clear()
        group = await self.require(group_id, lock=True)
        if form.permissions is not None:
            check_permission_tree(form.permissions)
            group.permissions = form.permissions
        group.name = form.name
        group.description = form.description
        if form.data is not None:
            group.data = self._data(form.data)
        group.updated_at = now()
        await self.session.flush()
        self._event(actor, "group.updated", group, updated_fields=sorted(form.model_fields_set))
        return await self.one(group)

    async def info(self, user: User, group_id: str) -> GroupInfoResponse:
        group = await self.require(group_id)
        if user.role != "admin" and not await repository.is_member(self.session, group.id, user.id):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        counts = await repository.member_counts(self.session, [group.id])
        return GroupInfoResponse(
            id=group.id,
            user_id=group.user_id,
            name=group.name,
            description=group.description,
            member_count=counts[group.id],
            created_at=group.created_at,
            updated_at=group.updated_at,
        )

    async def export(self, group_id: str) -> GroupExportResponse:
        group = await self.require(group_id)
        base = await self.one(group)
        ids = await repository.member_ids(self.session, group.id)
        return GroupExportResponse(**base.model_dump(), user_ids=ids)

    async def members(self, group_id: str) -> Sequence[User]:
        group = await self.require(group_id)
        return await repository.members(self.session, group.id)

    async def add_members(self, actor: User, group_id: str, user_ids: list[str]) -> GroupResponse:
        self.credentials.clear()
        group = await self.require(group_id, lock=True)
        before = set(await repository.member_ids(self.session, group.id))
        await repository.add_members(self.session, group.id, user_ids)
        added = sorted(set(await repository.member_ids(self.session, group.id)) - before)
        group.updated_at = now()
        if added:  # one event per request, naming the accounts that joined
            self._event(actor, "group.member_added", group, user_ids=added)
        return await self.one(group)

    async def remove_members(
        self, actor: User, group_id: str, user_ids: list[str]
    ) -> GroupResponse:
        self.credentials.clear()
        group = await self.require(group_id, lock=True)
        before = set(await repository.member_ids(self.session, group.id))
        await repository.remove_members(self.session, group.id, user_ids)
        group.updated_at = now()
        removed = sorted(before.intersection(user_ids))
        if removed:
            self._event(actor, "group.member_removed", group, user_ids=removed)
        return await self.one(group)

    async def delete(self, actor: User, group_id: str) -> bool:
        self.credentials.clear()
        group = await self.require(group_id, lock=True)
        await repository.delete_group(self.session, group.id)
        self._event(actor, "group.deleted", group)
        return True
