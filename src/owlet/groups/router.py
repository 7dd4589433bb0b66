"""`/api/v1/groups`: admins manage groups; members may read what they belong to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from owlet.core.validation import Identifier
from owlet.deps import AdminUser, ContainerDep, SessionDep, VerifiedUser
from owlet.groups.schemas import (
    GroupExportResponse,
    GroupForm,
    GroupInfoResponse,
    GroupResponse,
    UserIdsForm,
)
from owlet.groups.service import GroupService
from owlet.users.router import Service as UserServiceDep
from owlet.users.schemas import UserInfoResponse

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])


async def get_service(session: SessionDep, container: ContainerDep) -> GroupService:
    return GroupService(session, container.settings, container.credentials, container.events)


Service = Annotated[GroupService, Depends(get_service)]


@router.get("/", response_model=list[GroupResponse])
async def list_groups(
    user: VerifiedUser, service: Service, share: bool | None = None
) -> list[GroupResponse]:
    return await service.visible(user, share)


@router.post("/create", response_model=GroupResponse)
async def create_group(form: GroupForm, admin: AdminUser, service: Service) -> GroupResponse:
    return await service.create(admin, form)


@router.get("/id/{group_id}", response_model=GroupResponse)
async def get_group(group_id: Identifier, _admin: AdminUser, service: Service) -> GroupResponse:
    return await service.one(await service.require(group_id))


@router.get("/id/{group_id}/info", response_model=GroupInfoResponse)
async def get_group_info(
    group_id: Identifier, user: VerifiedUser, service: Service
) -> GroupInfoResponse:
    return await service.info(user, group_id)


@router.get("/id/{group_id}/export", response_model=GroupExportResponse)
async def export_group(
    group_id: Identifier, _admin: AdminUser, service: Service
) -> GroupExportResponse:
    return await service.export(group_id)


@router.post("/id/{group_id}/users", response_model=list[UserInfoResponse])
async def group_members(
    group_id: Identifier, _admin: AdminUser, service: Service, users: UserServiceDep
) -> list[UserInfoResponse]:
    return await users.info_list(await service.members(group_id))


@router.post("/id/{group_id}/update", response_model=GroupResponse)
async def update_group(
    group_id: Identifier, form: GroupForm, admin: AdminUser, service: Service
) -> GroupResponse:
    return await service.update(admin, group_id, form)


@router.post("/id/{group_id}/users/add", response_model=GroupResponse)
async def add_members(
    group_id: Identifier, form: UserIdsForm, admin: AdminUser, service: Service
) -> GroupResponse:
    return await service.add_members(admin, group_id, form.user_ids)


@router.post("/id/{group_id}/users/remove", response_model=GroupResponse)
async def remove_members(
    group_id: Identifier, form: UserIdsForm, admin: AdminUser, service: Service
) -> GroupResponse:
    return await service.remove_members(admin, group_id, form.user_ids)


@router.delete("/id/{group_id}/delete", response_model=bool)
async def delete_group(group_id: Identifier, admin: AdminUser, service: Service) -> bool:
    return await service.delete(admin, group_id)
