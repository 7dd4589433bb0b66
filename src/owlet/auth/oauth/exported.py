"""The OAuth settings as `/api/v1/configs/export` carries them: Open WebUI's `oauth.*` keys.

owlet reads them from the environment only, so an import skips them (config/transfer.py).
Client secrets are exported empty: owlet never hands one back over HTTP (the admin page
shows only whether it is set). Settings owlet lacks carry Open WebUI's first values.
"""

from __future__ import annotations

from typing import Any

from owlet.auth.oauth.settings import OAuthSettings, split_list

WITHHELD = ""


def _or_none(value: str) -> str | None:
    return value or None


def oauth_exported(s: OAuthSettings) -> dict[str, Any]:
    return {
        "oauth.client.timeout": "",
        "oauth.enable": s.enable_oauth,
        "oauth.enable_signup": s.enable_oauth_signup,
        "oauth.auto_redirect": s.oauth_auto_redirect,
        "oauth.refresh_token.include_scope": False,
        "oauth.merge_accounts_by_email": s.oauth_merge_accounts_by_email,
        "oauth.google.client_id": s.google_client_id,
        "oauth.google.client_secret": WITHHELD,
        "oauth.google.scope": s.google_oauth_scope,
        "oauth.google.redirect_uri": s.google_redirect_uri,
        "oauth.microsoft.client_id": s.microsoft_client_id,
        "oauth.microsoft.client_secret": WITHHELD,
        "oauth.microsoft.tenant_id": s.microsoft_client_tenant_id,
        "oauth.microsoft.login_base_url": s.microsoft_client_login_base_url,
        "oauth.microsoft.picture_url": "https://graph.microsoft.com/v1.0/me/photo/$value",
        "oauth.microsoft.scope": s.microsoft_oauth_scope,
        "oauth.microsoft.redirect_uri": s.microsoft_redirect_uri,
        "oauth.github.client_id": s.github_client_id,
        "oauth.github.client_secret": WITHHELD,
        "oauth.github.scope": s.github_client_scope,
        "oauth.github.redirect_uri": s.github_client_redirect_uri,
        "oauth.client_id": s.oauth_client_id,
        "oauth.client_secret": WITHHELD,
        "oauth.provider_url": s.openid_provider_url,
        "oauth.end_session_endpoint": s.openid_end_session_endpoint,
        "oauth.redirect_uri": s.openid_redirect_uri,
        "oauth.scopes": s.oauth_scopes,
        "oauth.timeout": f"{s.oauth_timeout:g}",
        "oauth.token_endpoint_auth_method": _or_none(s.oauth_token_endpoint_auth_method),
        "oauth.code_challenge_method": _or_none(s.oauth_code_challenge_method),
        "oauth.provider_name": s.oauth_provider_name,
        "oauth.sub_claim": _or_none(s.oauth_sub_claim),
        "oauth.username_claim": s.oauth_username_claim,
        "oauth.picture_claim": s.oauth_picture_claim,
        "oauth.email_claim": s.oauth_email_claim,
        "oauth.group_claim": s.oauth_group_claim,
        "oauth.feishu.client_id": "",
        "oauth.feishu.client_secret": WITHHELD,
        "oauth.feishu.scope": "contact:user.base:readonly",
        "oauth.feishu.redirect_uri": "",
        "oauth.enable_role_mapping": s.enable_oauth_role_management,
        "oauth.enable_group_mapping": s.enable_oauth_group_management,
        "oauth.enable_group_creation": s.enable_oauth_group_creation,
        "oauth.group_default_share": s.group_share,
        "oauth.blocked_groups": s.oauth_blocked_groups or "[]",
        "oauth.roles_claim": s.oauth_roles_claim,
        "oauth.allowed_roles": split_list(s.oauth_allowed_roles),
        "oauth.admin_roles": split_list(s.oauth_admin_roles),
        "oauth.allowed_domains": split_list(s.oauth_allowed_domains),
        "oauth.update_picture_on_login": s.oauth_update_picture_on_login,
        "oauth.update_name_on_login": s.oauth_update_name_on_login,
        "oauth.update_email_on_login": s.oauth_update_email_on_login,
        "oauth.audience": s.oauth_audience,
    }
