"""OAuth / OpenID Connect settings, read from the environment under Open WebUI's names.

They are env-only: Open WebUI does not persist `oauth.*` unless ENABLE_OAUTH_PERSISTENT_CONFIG
is set, so the environment always wins, and owlet keeps it that way.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def json_object(value: str) -> dict[str, Any]:
    parsed = json.loads(value) if value.strip() else {}
    return parsed if isinstance(parsed, dict) else {}


def split_list(value: str, separator: str = ",") -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]


class OAuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    enable_oauth: bool = True  # the master switch (`oauth.enable`)
    enable_oauth_signup: bool = False
    oauth_merge_accounts_by_email: bool = False
    oauth_auto_redirect: bool = False
    oauth_allowed_domains: str = "*"
    oauth_email_claim: str = "email"
    oauth_username_claim: str = "name"
    oauth_picture_claim: str = "picture"
    oauth_sub_claim: str = ""
    enable_oauth_email_fallback: bool = False
    oauth_update_name_on_login: bool = False
    oauth_update_email_on_login: bool = False
    oauth_update_picture_on_login: bool = False  # the picture claim fetched at every sign-in
    enable_oauth_id_token_cookie: bool = True
    # Seconds for each call to a provider (discovery, token, JWKS, userinfo)
    oauth_timeout: float = Field(default=10.0, gt=0)

    enable_oauth_role_management: bool = False
    oauth_roles_claim: str = "roles"
    oauth_roles_separator: str = ","
    oauth_allowed_roles: str = "user,admin"
    oauth_admin_roles: str = "admin"

    enable_oauth_group_management: bool = False
    enable_oauth_group_creation: bool = False
    oauth_group_claim: str = Field(
        default="groups", validation_alias=AliasChoices("OAUTH_GROUPS_CLAIM", "OAUTH_GROUP_CLAIM")
    )
    oauth_groups_separator: str = ";"
    oauth_blocked_groups: str = ""  # a JSON list of fnmatch patterns
    oauth_group_default_share: str = "members"

    # The generic OpenID Connect provider (`oidc`)
    openid_provider_url: str = ""  # the .well-known/openid-configuration URL
    oauth_client_id: str = ""
    oauth_client_secret: str = ""
    oauth_scopes: str = "openid email profile"
    oauth_provider_name: str = "SSO"
    openid_redirect_uri: str = ""
    oauth_code_challenge_method: str = ""
    oauth_token_endpoint_auth_method: str = ""
    openid_end_session_endpoint: str = ""
    oauth_audience: str = ""
    oauth_authorize_params: str = ""  # JSON object: extra authorization request parameters
    webui_auth_signout_redirect_url: str = ""

    google_client_id: str = ""
    google_client_secret: str = ""
    google_oauth_scope: str = "openid email profile"
    google_redirect_uri: str = ""
    google_oauth_authorize_params: str = ""

    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""
    microsoft_client_tenant_id: str = ""
    microsoft_client_login_base_url: str = "https://login.microsoftonline.com"
    microsoft_oauth_scope: str = "openid email profile"
    microsoft_redirect_uri: str = ""

    github_client_id: str = ""
    github_client_secret: str = ""
    github_client_scope: str = "user:email"
    github_client_redirect_uri: str = ""

    @field_validator("oauth_authorize_params", "google_oauth_authorize_params")
    @classmethod
    def _json_object(cls, value: str) -> str:
        if value.strip() and not isinstance(json.loads(value), dict):
            raise ValueError("must be a JSON object")
        return value

    @field_validator("oauth_blocked_groups")
    @classmethod
    def _json_list(cls, value: str) -> str:
        if value.strip() and not isinstance(json.loads(value), list):
            raise ValueError("must be a JSON list")
        return value

    @field_validator("oauth_group_default_share")
    @classmethod
    def _valid_share(cls, value: str) -> str:
        if value.strip().lower() not in ("true", "false", "members"):
            raise ValueError('OAUTH_GROUP_DEFAULT_SHARE must be true, false or "members"')
        return value.strip().lower()

    @property
    def blocked_groups(self) -> list[str]:
        return [str(g) for g in json.loads(self.oauth_blocked_groups or "[]")]

    @property
    def allowed_domains(self) -> list[str]:
        return [d.lower() for d in split_list(self.oauth_allowed_domains)]

    @property
    def group_share(self) -> bool | str:
        return {"true": True, "false": False}.get(self.oauth_group_default_share, "members")
