"""`/api/v1/users`. Fixed paths are declared before `/{user_id}`, as Open WebUI does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import RedirectResponse, Response

from owlet.core.images import default_picture
from owlet.core.paging import Page, page_window
from owlet.core.validation import CleanText, Identifier, JsonObject
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep, VerifiedUser
from owlet.groups import repository as groups
from owlet.groups.schemas import GroupModel
from owlet.users.presenter import is_active, to_user_model
from owlet.users.schemas import (
    ActiveResponse,
    UserInfoListResponse,
    UserInfoResponse,
    UserListResponse,
    UserModel,
    UserSettings,
    UserStatusForm,
    UserUpdateForm,
    UserVariablesForm,
    UserVariablesResponse,
    UserWithGroups,
)
from owlet.users.service import PAGE_SIZE, UserService

router = APIRouter(prefix="/api/v1/users", tags=["users"])


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> UserService:
    return UserService(session, container, config)


Service = Annotated[UserService, Depends(get_service)]


async def list_window(
    page: Annotated[int | None, Query(le=1_000_000, description="1-based page of 30 users")] = None,
    skip: Annotated[int | None, Query(ge=0, le=10**9, description="Users to skip (offset)")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Maximum users")] = None,
) -> Page:
    return page_window(page, skip, limit, PAGE_SIZE)


Window = Annotated[Page, Depends(list_window)]
Text = Annotated[CleanText | None, Query(max_length=500)]


@router.get("/", response_model=UserListResponse)
async def list_users(
    _admin: AdminUser,
    service: Service,
    window: Window,
    query: Text = None,
    order_by: Text = None,
    direction: Text = None,
) -> UserListResponse:
    items, total = await service.list_users(
        query=query, order_by=order_by, direction=direction, window=window
    )
    return UserListResponse(users=items, total=total)


@router.get("/all", response_model=UserInfoListResponse)
async def all_users(_admin: AdminUser, service: Service) -> UserInfoListResponse:
    items = await service.all_users()
    return UserInfoListResponse(users=items, total=len(items))


@router.get("/search", response_model=UserInfoListResponse)
async def search_users(
    _user: VerifiedUser,
    service: Service,
    window: Window,
    query: Text = None,
    order_by: Text = None,
    direction: Text = None,
) -> UserInfoListResponse:
    items, total = await service.search(
        query=query,
        order_by=order_by or "created_at",
        direction=direction or "desc",
        window=window,
    )
    return UserInfoListResponse(users=items, total=total)


@router.get("/groups", response_model=list[GroupModel])
async def my_groups(user: VerifiedUser, session: SessionDep) -> list[GroupModel]:
    return [GroupModel.model_validate(g) for g in await groups.list_for_user(session, user.id)]


@router.get("/permissions")
async def my_permissions(user: VerifiedUser, service: Service) -> dict[str, Any]:
    return await service.permissions(user)


@router.get("/default/permissions")
async def default_permissions(_admin: AdminUser, service: Service) -> dict[str, Any]:
    return service.default_permissions()


@router.post("/default/permissions")
async def set_default_permissions(
    _admin: AdminUser, service: Service, values: Annotated[JsonObject, Body()]
) -> dict[str, Any]:
    return await service.set_default_permissions(values)


@router.get("/default/permissions/defaults")
async def builtin_default_permissions(_admin: AdminUser) -> dict[str, Any]:
    return UserService.builtin_defaults()


@router.get("/user/settings", response_model=UserSettings | None)
async def my_settings(user: VerifiedUser) -> dict[str, Any] | None:
    return user.settings


@router.post("/user/settings/update", response_model=UserSettings)
async def update_my_settings(
    user: VerifiedUser, service: Service, form: UserSettings
) -> dict[str, Any]:
    return await service.update_settings(user, form.model_dump())


@router.get("/user/status", response_model=UserModel)
async def my_status(user: VerifiedUser, service: Service) -> UserModel:
    return to_user_model(service.status(user))


@router.post("/user/status/update", response_model=UserModel)
async def update_my_status(user: VerifiedUser, service: Service, form: UserStatusForm) -> UserModel:
    return to_user_model(await service.update_status(user, form))


@router.get("/user/info")
async def my_info(user: VerifiedUser) -> dict[str, Any] | None:
    return user.info


@router.post("/user/info/update")
async def update_my_info(
    user: VerifiedUser, service: Service, values: Annotated[JsonObject, Body()]
) -> dict[str, Any]:
    return await service.update_info(user, values)


@router.get("/user/variables", response_model=UserVariablesResponse)
async def my_variables(user: VerifiedUser) -> UserVariablesResponse:
    return UserVariablesResponse(
        variables={str(k): str(v) for k, v in (user.variables or {}).items()}
    )


@router.post("/user/variables/update", response_model=UserVariablesResponse)
async def update_my_variables(
    user: VerifiedUser, service: Service, form: UserVariablesForm
) -> UserVariablesResponse:
    return UserVariablesResponse(variables=await service.update_variables(user, form.variables))


@router.get("/{user_id}", response_model=UserWithGroups)
async def get_user(user_id: Identifier, _admin: AdminUser, service: Service) -> UserWithGroups:
    return await service.with_groups(user_id)


@router.get("/{user_id}/info", response_model=UserInfoResponse)
async def get_user_info(
    user_id: Identifier, _user: VerifiedUser, service: Service
) -> UserInfoResponse:
    return await service.info(user_id)


@router.get(
    "/{user_id}/profile/image",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The image"},
        302: {"description": "Redirect to the user's image URL"},
    },
)
async def get_profile_image(user_id: Identifier, _user: VerifiedUser, service: Service) -> Response:
    image = await service.profile_image(user_id)
    if image.redirect:
        return RedirectResponse(image.redirect, status_code=302)
    if image.content is not None:
        return Response(image.content, media_type=image.media_type)
    return default_picture()


@router.get("/{user_id}/active", response_model=ActiveResponse)
async def get_user_active(
    user_id: Identifier, _user: VerifiedUser, service: Service
) -> ActiveResponse:
    return ActiveResponse(active=is_active(await service.require(user_id)))


@router.post("/{user_id}/update", response_model=UserModel)
async def update_user(
    user_id: Identifier, form: UserUpdateForm, admin: AdminUser, service: Service
) -> UserModel:
    return to_user_model(await service.update_user(admin, user_id, form))


@router.delete("/{user_id}", response_model=bool)
async def delete_user(user_id: Identifier, admin: AdminUser, service: Service) -> bool:
    return await service.delete_user(admin, user_id)


@router.get("/{user_id}/groups", response_model=list[GroupModel])
async def get_user_groups(
    user_id: Identifier, _admin: AdminUser, service: Service, session: SessionDep
) -> list[GroupModel]:
    user = await service.require(user_id)
    return [GroupModel.model_validate(g) for g in await groups.list_for_user(session, user.id)]
