"""`/api/v1/auths`: parse, authorize, call AuthService, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from owlet.auth import modes
from owlet.auth.credentials import Identity, authenticate
from owlet.auth.oauth.service import OAuthService
from owlet.auth.schemas import (
    AUTH_RESPONSES,
    AddUserForm,
    AddUserResponse,
    AdminConfig,
    AdminConfigSaved,
    AdminDetailsResponse,
    ApiKeyResponse,
    MfaStatusResponse,
    ProfileResponse,
    SessionUserInfoResponse,
    SessionUserResponse,
    SigninForm,
    SignoutResponse,
    SignupForm,
    StatusResponse,
    UpdatePasswordForm,
    UpdateProfileForm,
    UpdateTimezoneForm,
)
from owlet.auth.service import AuthService
from owlet.auth.session import session_response, set_token_cookie
from owlet.deps import (
    AdminUser,
    ConfigDep,
    ContainerDep,
    CurrentIdentity,
    CurrentUser,
    SessionDep,
    VerifiedUser,
)
from owlet.errors import AppError, Forbidden, Messages
from owlet.users.presenter import profile_image_route

router = APIRouter(prefix="/api/v1/auths", tags=["auths"], responses=AUTH_RESPONSES)


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> AuthService:
    return AuthService(session, container, config)


Service = Annotated[AuthService, Depends(get_service)]


@router.get("/", response_model=SessionUserInfoResponse)
async def get_session_user(
    identity: CurrentIdentity, service: Service, response: Response
) -> SessionUserInfoResponse:
    user = identity.user
    if identity.via_api_key:  # as Open WebUI 0.12.4: the session is for people, not keys
        raise Forbidden(Messages.HUMAN_SESSION_REQUIRED)
    set_token_cookie(response, service, identity.credential, identity.expires_at)
    return SessionUserInfoResponse(
        token=identity.credential,
        expires_at=identity.expires_at,
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        profile_image_url=user.profile_image_url or profile_image_route(user.id),
        permissions=await service.permissions(user),
        bio=user.bio,
        gender=user.gender,
        date_of_birth=user.date_of_birth,
        status_emoji=user.status_emoji,
        status_message=user.status_message,
        status_expires_at=user.status_expires_at,
    )


@router.post("/signin", response_model=SessionUserResponse)
async def signin(
    form: SigninForm, request: Request, service: Service, response: Response
) -> SessionUserResponse:
    if service.settings.webui_auth_trusted_email_header:
        user = await modes.trusted_header_signin(service, request.headers)
    elif not service.settings.webui_auth:
        user = await modes.single_user_signin(service)
    else:
        user = await service.signin(form.email, form.password)
    return await session_response(service, user, response)


@router.post("/signup", response_model=SessionUserResponse)
async def signup(form: SignupForm, service: Service, response: Response) -> SessionUserResponse:
    user = await service.signup(form)
    return await session_response(service, user, response)


async def optional_identity(
    request: Request, session: SessionDep, container: ContainerDep, config: ConfigDep
) -> Identity | None:
    try:
        return await authenticate(request, session, container, config)
    except AppError:
        return None


@router.post("/signout", response_model=SignoutResponse, response_model_exclude_none=True)
async def signout(
    identity: Annotated[Identity | None, Depends(optional_identity)],
    service: Service,
    request: Request,
    response: Response,
) -> SignoutResponse:
    await service.signout(identity)
    await service.session.commit()  # before any call to the identity provider
    for cookie in ("token", "oauth_id_token", "oauth_session_id", "owui-session"):
        response.delete_cookie(cookie)
    oauth = OAuthService(service.session, service.container, service.config)
    id_token = request.cookies.get("oauth_id_token")
    # An OAuth session also ends at its provider, when the provider offers RP-initiated logout.
    redirect_url = await oauth.end_session_url(id_token) if id_token else None
    redirect_url = redirect_url or service.settings.oauth.webui_auth_signout_redirect_url or None
    return SignoutResponse(status=True, redirect_url=redirect_url)


@router.post("/update/profile", response_model=ProfileResponse)
async def update_profile(
    form: UpdateProfileForm, user: VerifiedUser, service: Service
) -> ProfileResponse:
    user = await service.update_profile(user, form)
    return ProfileResponse(
        id=user.id,
        name=user.name,
        role=user.role,
        email=user.email,
        profile_image_url=user.profile_image_url or profile_image_route(user.id),
    )


@router.post("/update/timezone", response_model=StatusResponse)
async def update_timezone(
    form: UpdateTimezoneForm, user: CurrentUser, service: Service
) -> StatusResponse:
    await service.update_timezone(user, form.timezone)
    return StatusResponse(status=True)


@router.post("/update/password", response_model=bool)
async def update_password(form: UpdatePasswordForm, user: CurrentUser, service: Service) -> bool:
    return await service.update_password(user, form)


@router.post("/add", response_model=AddUserResponse)
async def add_user(form: AddUserForm, admin: AdminUser, service: Service) -> AddUserResponse:
    user = await service.add_user(admin, form)
    issued = service.issue_token(user)
    return AddUserResponse(
        token=issued.token,
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        profile_image_url=user.profile_image_url,
    )


@router.get("/mfa/status", response_model=MfaStatusResponse)
async def mfa_status(_user: CurrentUser) -> MfaStatusResponse:
    return MfaStatusResponse()


@router.get("/admin/details", response_model=AdminDetailsResponse)
async def admin_details(_user: CurrentUser, service: Service) -> AdminDetailsResponse:
    return AdminDetailsResponse(**await service.admin_details())


@router.get("/admin/config", response_model=AdminConfig)
async def get_admin_config(_admin: AdminUser, service: Service) -> AdminConfig:
    return service.admin_config()


@router.post("/admin/config", response_model=AdminConfigSaved)
async def update_admin_config(
    form: AdminConfig, _admin: AdminUser, service: Service
) -> AdminConfigSaved:
    return await service.update_admin_config(form)


@router.post("/api_key", response_model=ApiKeyResponse)
async def create_api_key(user: VerifiedUser, service: Service) -> ApiKeyResponse:
    return ApiKeyResponse(api_key=await service.create_api_key(user))


@router.get("/api_key", response_model=ApiKeyResponse)
async def get_api_key(user: VerifiedUser, service: Service) -> ApiKeyResponse:
    return ApiKeyResponse(api_key=await service.get_api_key(user))


@router.delete("/api_key", response_model=bool)
async def delete_api_key(user: VerifiedUser, service: Service) -> bool:
    return await service.delete_api_key(user)
