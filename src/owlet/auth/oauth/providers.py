"""Which providers the environment configures, under Open WebUI's provider keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from owlet.auth.oauth.settings import OAuthSettings, json_object

GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN = "https://github.com/login/oauth/access_token"
GITHUB_API = "https://api.github.com"
GOOGLE_DISCOVERY = "https://accounts.google.com/.well-known/openid-configuration"


@dataclass(frozen=True)
class Provider:
    name: str  # the key in /oauth/{provider}/... and in `oauth.providers`
    display_name: str
    client_id: str
    client_secret: str
    scopes: str
    redirect_uri: str  # empty: built from the request
    token_auth_method: str  # client_secret_basic | client_secret_post | none
    discovery_url: str = ""  # OpenID Connect; empty for plain OAuth 2 (GitHub)
    authorize_params: dict[str, Any] = field(default_factory=dict)
    end_session_endpoint: str = ""  # overrides the discovered one
    # Plain OAuth 2 endpoints, for a provider without discovery
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    userinfo_endpoint: str = ""

    @property
    def is_openid(self) -> bool:
        return bool(self.discovery_url)


def _auth_method(explicit: str, secret: str) -> str:
    if explicit:
        return explicit
    return "client_secret_basic" if secret else "none"


def configured(settings: OAuthSettings) -> dict[str, Provider]:
    """Providers whose required variables are set, in Open WebUI's order; none when the
    master switch ENABLE_OAUTH is off."""
    if not settings.enable_oauth:
        return {}
    found: dict[str, Provider] = {}
    s = settings
    if s.google_client_id and s.google_client_secret:
        found["google"] = Provider(
            name="google",
            display_name="google",
            client_id=s.google_client_id,
            client_secret=s.google_client_secret,
            scopes=s.google_oauth_scope,
            redirect_uri=s.google_redirect_uri,
            token_auth_method="client_secret_basic",
            discovery_url=GOOGLE_DISCOVERY,
            authorize_params=json_object(s.google_oauth_authorize_params),
        )
    if s.microsoft_client_id and s.microsoft_client_secret and s.microsoft_client_tenant_id:
        base = s.microsoft_client_login_base_url.rstrip("/")
        found["microsoft"] = Provider(
            name="microsoft",
            display_name="microsoft",
            client_id=s.microsoft_client_id,
            client_secret=s.microsoft_client_secret,
            scopes=s.microsoft_oauth_scope,
            redirect_uri=s.microsoft_redirect_uri,
            token_auth_method="client_secret_post",
            discovery_url=(
                f"{base}/{s.microsoft_client_tenant_id}/v2.0/.well-known/openid-configuration"
            ),
        )
    if s.github_client_id and s.github_client_secret:
        found["github"] = Provider(
            name="github",
            display_name="github",
            client_id=s.github_client_id,
            client_secret=s.github_client_secret,
            scopes=s.github_client_scope,
            redirect_uri=s.github_client_redirect_uri,
            token_auth_method="client_secret_post",
            authorization_endpoint=GITHUB_AUTHORIZE,
            token_endpoint=GITHUB_TOKEN,
            userinfo_endpoint=f"{GITHUB_API}/user",
        )
    if (
        s.oauth_client_id
        and s.openid_provider_url
        and (s.oauth_client_secret or s.oauth_code_challenge_method)
    ):
        params = json_object(s.oauth_authorize_params)
        if s.oauth_audience:
            params.setdefault("audience", s.oauth_audience)
        found["oidc"] = Provider(
            name="oidc",
            display_name=s.oauth_provider_name or "SSO",
            client_id=s.oauth_client_id,
            client_secret=s.oauth_client_secret,
            scopes=s.oauth_scopes,
            redirect_uri=s.openid_redirect_uri,
            token_auth_method=_auth_method(
                s.oauth_token_endpoint_auth_method, s.oauth_client_secret
            ),
            discovery_url=s.openid_provider_url,
            authorize_params=params,
            end_session_endpoint=s.openid_end_session_endpoint,
        )
    return found


def public_providers(settings: OAuthSettings) -> dict[str, Any]:
    """`/api/config`'s `oauth`: the buttons the sign-in page shows."""
    providers = configured(settings)
    return {
        "providers": {key: p.display_name for key, p in providers.items()},
        "auto_redirect": bool(settings.oauth_auto_redirect and providers),
    }
