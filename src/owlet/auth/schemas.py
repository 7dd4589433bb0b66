"""Wire shapes of `/api/v1/auths`, with Open WebUI's field names."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from owlet.core.validation import (
    EmailText,
    Form,
    JsonObject,
    Name,
    Password,
    ProfileImageUrl,
    ShortText,
    WireCount,
)
from owlet.users.schemas import Role


class SigninForm(Form):
    """Empty values are allowed (and refused as wrong credentials, as in Open WebUI): the
    web client posts `{"email": "", "password": ""}` in trusted-header and no-auth modes."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class SignupForm(Form):
    name: Name
    email: EmailText
    password: Password
    profile_image_url: ProfileImageUrl | None = "/user.png"


class AddUserForm(SignupForm):
    role: Role | None = "pending"


class UpdateProfileForm(Form):
    profile_image_url: ProfileImageUrl
    name: Name
    bio: ShortText | None = None
    gender: str | None = Field(default=None, max_length=64)
    date_of_birth: dt.date | None = None


class UpdateTimezoneForm(Form):
    timezone: str = Field(min_length=1, max_length=64)


class UpdatePasswordForm(Form):
    password: Password
    new_password: Password


class SessionUserResponse(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: int | None = None
    id: str
    email: str
    name: str
    role: str
    profile_image_url: str
    permissions: dict[str, Any]


class SessionUserInfoResponse(SessionUserResponse):
    bio: str | None = None
    gender: str | None = None
    date_of_birth: dt.date | None = None
    status_emoji: str | None = None
    status_message: str | None = None
    status_expires_at: int | None = None


class AddUserResponse(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    id: str
    email: str
    name: str
    role: str
    profile_image_url: str


class ProfileResponse(BaseModel):
    id: str
    name: str
    role: str
    email: str
    profile_image_url: str


class SignoutResponse(BaseModel):
    status: bool = True
    redirect_url: str | None = None


class StatusResponse(BaseModel):
    status: bool = True


class AdminDetailsResponse(BaseModel):
    name: str | None = None
    email: str | None = None


class ApiKeyResponse(BaseModel):
    api_key: str


class MfaStatusResponse(BaseModel):
    """No account has a second factor: owlet has no multi-factor sign-in."""

    enabled: bool = False
    required: bool = False
    recovery_codes_remaining: int = 0


class AdminConfig(Form):
    """`/api/v1/auths/admin/config`: UPPER_CASE names mirror the env vars."""

    # owlet has no multi-factor sign-in: the admin page shows these off, and turning them
    # on is refused rather than silently ignored (docs/compatibility.md).
    ENABLE_MFA: Literal[False] = False
    MFA_ALLOW_OAUTH_BYPASS: Literal[False] = False
    MFA_ALLOW_TRUSTED_HEADER_BYPASS: Literal[False] = False
    SHOW_ADMIN_DETAILS: bool
    ADMIN_EMAIL: str | None = None
    WEBUI_URL: str
    ENABLE_LOGIN_FORM: bool | None = None  # left out: kept (also for the fields below)
    ENABLE_SIGNUP: bool
    ENABLE_API_KEYS: bool
    ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS: bool
    API_KEYS_ALLOWED_ENDPOINTS: str
    DEFAULT_USER_ROLE: Role
    DEFAULT_GROUP_ID: str
    DEFAULT_INTERFACE_SETTINGS: JsonObject | None = None
    I18N: JsonObject | None = None
    JWT_EXPIRES_IN: str
    ENABLE_COMMUNITY_SHARING: bool
    ENABLE_MESSAGE_RATING: bool
    ENABLE_FOLDERS: bool
    # "" (unset) or a number, as Open WebUI sends them
    FOLDER_MAX_FILE_COUNT: WireCount = None
    AUTOMATION_MAX_COUNT: WireCount = None
    AUTOMATION_MIN_INTERVAL: WireCount = None
    ENABLE_AUTOMATIONS: bool
    ENABLE_CHANNELS: bool
    ENABLE_ENCRYPTED_CHANNELS: bool | None = None
    ENABLE_APPS: bool | None = None
    CHANNEL_MODEL_RESPONSE_MODE: Literal["thread", "channel"] = "thread"
    ENABLE_CALENDAR: bool
    ENABLE_MEMORIES: bool
    ENABLE_MEMORY_SYSTEM_CONTEXT: bool
    ENABLE_SKILL_LAZY_LOADING: bool | None = None
    SKILL_CONTENT_MAX_CHARS: Annotated[int, Field(ge=0)] | None = None
    SKILL_PREVIEW_MAX_CHARS: Annotated[int, Field(ge=0)] | None = None
    ENABLE_NOTES: bool
    ENABLE_USER_WEBHOOKS: bool
    ENABLE_USER_STATUS: bool
    PENDING_USER_OVERLAY_TITLE: str | None = None
    PENDING_USER_OVERLAY_CONTENT: str | None = None
    RESPONSE_WATERMARK: str | None = None


class AdminConfigSaved(AdminConfig):
    """The answer to a save. Sessions are revoked only when multi-factor sign-in is turned
    on, which owlet refuses, so never."""

    sessions_revoked: bool = False


# Fields a save may leave out (or send as null, but for the two skill limits, where null
# means no limit): their stored value is kept.
KEPT_WHEN_LEFT_OUT = frozenset({
    "ENABLE_LOGIN_FORM", "DEFAULT_INTERFACE_SETTINGS", "I18N", "ENABLE_ENCRYPTED_CHANNELS",
    "ENABLE_APPS", "ENABLE_SKILL_LAZY_LOADING", "SKILL_CONTENT_MAX_CHARS",
    "SKILL_PREVIEW_MAX_CHARS",
})  # fmt: skip
NULLABLE_SKILL_LIMITS = frozenset({"SKILL_CONTENT_MAX_CHARS", "SKILL_PREVIEW_MAX_CHARS"})

# AdminConfig field -> config key
ADMIN_CONFIG_KEYS: dict[str, str] = {
    "SHOW_ADMIN_DETAILS": "auth.admin.show",
    "ADMIN_EMAIL": "auth.admin.email",
    "WEBUI_URL": "webui.url",
    "ENABLE_LOGIN_FORM": "ui.enable_login_form",
    "ENABLE_SIGNUP": "ui.enable_signup",
    "ENABLE_API_KEYS": "auth.enable_api_keys",
    "ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS": "auth.api_key.endpoint_restrictions",
    "API_KEYS_ALLOWED_ENDPOINTS": "auth.api_key.allowed_endpoints",
    "DEFAULT_USER_ROLE": "ui.default_user_role",
    "DEFAULT_GROUP_ID": "ui.default_group_id",
    "DEFAULT_INTERFACE_SETTINGS": "ui.default_interface_settings",
    "I18N": "ui.i18n",
    "JWT_EXPIRES_IN": "auth.jwt_expiry",
    "ENABLE_COMMUNITY_SHARING": "ui.enable_community_sharing",
    "ENABLE_MESSAGE_RATING": "ui.enable_message_rating",
    "ENABLE_FOLDERS": "folders.enable",
    "FOLDER_MAX_FILE_COUNT": "folders.max_file_count",
    "AUTOMATION_MAX_COUNT": "automations.max_count",
    "AUTOMATION_MIN_INTERVAL": "automations.min_interval",
    "ENABLE_AUTOMATIONS": "automations.enable",
    "ENABLE_CHANNELS": "channels.enable",
    "ENABLE_ENCRYPTED_CHANNELS": "channels.encryption.enable",
    "ENABLE_APPS": "apps.enable",
    "CHANNEL_MODEL_RESPONSE_MODE": "channels.model_response_mode",
    "ENABLE_CALENDAR": "calendar.enable",
    "ENABLE_MEMORIES": "memories.enable",
    "ENABLE_MEMORY_SYSTEM_CONTEXT": "memories.system_context",
    "ENABLE_SKILL_LAZY_LOADING": "skills.lazy_loading.enable",
    "SKILL_CONTENT_MAX_CHARS": "skills.content_max_chars",
    "SKILL_PREVIEW_MAX_CHARS": "skills.preview_max_chars",
    "ENABLE_NOTES": "notes.enable",
    "ENABLE_USER_WEBHOOKS": "ui.enable_user_webhooks",
    "ENABLE_USER_STATUS": "users.enable_status",
    "PENDING_USER_OVERLAY_TITLE": "ui.pending_user_overlay_title",
    "PENDING_USER_OVERLAY_CONTENT": "ui.pending_user_overlay_content",
    "RESPONSE_WATERMARK": "ui.watermark",
}


class InvalidAuthRequest(BaseModel):
    """A 422 on `/api/v1/auths/*`: the reason is not given, the body is not echoed."""

    detail: str = "Invalid authentication request."


# Documents that 422 on every router under /api/v1/auths (FastAPI's default says a list).
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {422: {"model": InvalidAuthRequest}}
