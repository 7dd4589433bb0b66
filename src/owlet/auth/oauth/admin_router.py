"""`/api/v1/auths/admin/config/oauth`: the OAuth settings, as the admin page shows them.

They come from the environment only (Open WebUI's `ENABLE_OAUTH_PERSISTENT_CONFIG` off), so
the page shows them read-only and a save is refused; the client secret is never sent back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from owlet.auth.schemas import AUTH_RESPONSES
from owlet.deps import AdminUser, ContainerDep
from owlet.errors import BadRequest

router = APIRouter(prefix="/api/v1/auths/admin/config", tags=["auths"], responses=AUTH_RESPONSES)

READ_ONLY = (
    "OAuth settings are read from the environment (OAUTH_*, OPENID_*); "
    "change them there and restart owlet."
)
# Open WebUI's fields that owlet has no setting for: shown empty.
UNSUPPORTED = ("OAUTH_CLIENT_TIMEOUT", "OAUTH_REFRESH_TOKEN_INCLUDE_SCOPE")
FIELDS = (
    "ENABLE_OAUTH", "ENABLE_OAUTH_SIGNUP", "OAUTH_MERGE_ACCOUNTS_BY_EMAIL", "OAUTH_AUTO_REDIRECT",
    "OAUTH_ALLOWED_DOMAINS", "OAUTH_BLOCKED_GROUPS", "ENABLE_OAUTH_ROLE_MANAGEMENT",
    "OAUTH_ROLES_CLAIM", "OAUTH_ADMIN_ROLES", "OAUTH_ALLOWED_ROLES",
    "ENABLE_OAUTH_GROUP_MANAGEMENT", "ENABLE_OAUTH_GROUP_CREATION", "OAUTH_GROUP_CLAIM",
    "OAUTH_GROUP_DEFAULT_SHARE", "OAUTH_PROVIDER_NAME", "OPENID_PROVIDER_URL", "OAUTH_CLIENT_ID",
    "OPENID_REDIRECT_URI", "OAUTH_SCOPES", "OAUTH_CODE_CHALLENGE_METHOD",
    "OAUTH_TOKEN_ENDPOINT_AUTH_METHOD", "OPENID_END_SESSION_ENDPOINT", "OAUTH_TIMEOUT",
    "OAUTH_EMAIL_CLAIM", "OAUTH_USERNAME_CLAIM", "OAUTH_PICTURE_CLAIM", "OAUTH_SUB_CLAIM",
    "OAUTH_AUDIENCE", "OAUTH_UPDATE_EMAIL_ON_LOGIN", "OAUTH_UPDATE_NAME_ON_LOGIN",
    "OAUTH_UPDATE_PICTURE_ON_LOGIN",
)  # fmt: skip


class OAuthConfigResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    OAUTH_CLIENT_SECRET: str | None = None
    ENABLE_OAUTH_PERSISTENT_CONFIG: bool = False


@router.get("/oauth", response_model=OAuthConfigResponse)
async def oauth_config(_admin: AdminUser, container: ContainerDep) -> OAuthConfigResponse:
    settings = container.settings.oauth
    values: dict[str, Any] = {name: getattr(settings, name.lower()) for name in FIELDS}
    values.update(dict.fromkeys(UNSUPPORTED))
    # Set or not, and never the value itself: the page cannot edit it anyway.
    values["OAUTH_CLIENT_SECRET"] = "********" if settings.oauth_client_secret else ""
    return OAuthConfigResponse(**values)


@router.post("/oauth", response_model=OAuthConfigResponse)
async def update_oauth_config(_admin: AdminUser) -> OAuthConfigResponse:
    raise BadRequest(READ_ONLY)
