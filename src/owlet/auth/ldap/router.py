"""`/api/v1/auths/ldap` and `/api/v1/auths/admin/config/ldap[/server]`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from owlet.auth.ldap.schemas import (
    LdapConfigForm,
    LdapConfigResponse,
    LdapForm,
    LdapServerConfig,
)
from owlet.auth.ldap.service import LdapService
from owlet.auth.schemas import AUTH_RESPONSES, SessionUserResponse
from owlet.auth.service import AuthService
from owlet.auth.session import session_response
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep

router = APIRouter(prefix="/api/v1/auths", tags=["auths"], responses=AUTH_RESPONSES)


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> LdapService:
    return LdapService(AuthService(session, container, config))


Service = Annotated[LdapService, Depends(get_service)]


@router.post("/ldap", response_model=SessionUserResponse)
async def ldap_signin(form: LdapForm, service: Service, response: Response) -> SessionUserResponse:
    user = await service.signin(form)
    return await session_response(service.auth, user, response, "ldap")


@router.get("/admin/config/ldap/server", response_model=LdapServerConfig)
async def get_server_config(_admin: AdminUser, service: Service) -> LdapServerConfig:
    return service.server_config()


@router.post("/admin/config/ldap/server", response_model=LdapServerConfig)
async def update_server_config(
    form: LdapServerConfig, _admin: AdminUser, service: Service
) -> LdapServerConfig:
    return await service.update_server_config(form)


@router.get("/admin/config/ldap", response_model=LdapConfigResponse)
async def get_ldap_config(_admin: AdminUser, service: Service) -> LdapConfigResponse:
    return LdapConfigResponse(ENABLE_LDAP=await service.set_enabled(None))


@router.post("/admin/config/ldap", response_model=LdapConfigResponse)
async def update_ldap_config(
    form: LdapConfigForm, _admin: AdminUser, service: Service
) -> LdapConfigResponse:
    return LdapConfigResponse(ENABLE_LDAP=await service.set_enabled(form.enable_ldap))
