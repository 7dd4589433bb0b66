"""`/oauth/{provider}/login` and its callback: the browser's round trip through a provider."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from owlet.auth.oauth.service import OAuthService, SignInFailed
from owlet.deps import ConfigDep, ContainerDep, SessionDep

router = APIRouter(prefix="/oauth", tags=["oauth"])

STATE_COOKIE = "owlet_oauth_state"
CALLBACK = "/oauth/{provider}/login/callback"
TO_AUTH_PAGE = {"description": "To /auth: signed in (the `token` cookie), or with `?error=`"}


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> OAuthService:
    return OAuthService(session, container, config)


Service = Annotated[OAuthService, Depends(get_service)]


def _base(request: Request, service: OAuthService) -> str:
    """WEBUI_URL when the admin set it, else where this request came in."""
    configured = str(service.config.get("webui.url") or "").strip()
    return (configured or str(request.base_url)).rstrip("/")


def _to_auth_page(base: str, error: str | None = None) -> RedirectResponse:
    url = f"{base}/auth" + (f"?error={quote(error, safe='')}" if error else "")
    response = RedirectResponse(url, status_code=307)
    response.delete_cookie(STATE_COOKIE, path="/oauth")
    return response


@router.get(
    "/{provider}/login",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "To the provider's sign-in page"}, 307: TO_AUTH_PAGE},
)
async def login(provider: str, request: Request, service: Service) -> RedirectResponse:
    client = service.client(provider)  # 404 before anything else for an unknown provider
    base = _base(request, service)
    redirect_uri = client.provider.redirect_uri or base + CALLBACK.format(provider=provider)
    try:
        url, state = await service.begin(provider, redirect_uri)
    except SignInFailed as exc:
        return _to_auth_page(base, str(exc.detail))
    response = RedirectResponse(url, status_code=302)
    # Lax whatever the token cookie's policy: the callback is a cross-site navigation.
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=600,
        path="/oauth",
        httponly=True,
        samesite="lax",
        secure=service.container.settings.webui_auth_cookie_secure,
    )
    return response


@router.get(
    "/{provider}/login/callback",
    response_class=RedirectResponse,
    status_code=307,
    responses={307: TO_AUTH_PAGE},
)
@router.get("/{provider}/callback", include_in_schema=False)  # the legacy path
async def callback(
    provider: str, request: Request, service: Service, session: SessionDep
) -> RedirectResponse:
    service.client(provider)
    base = _base(request, service)
    try:
        signed_in = await service.complete(
            provider, dict(request.query_params), request.cookies.get(STATE_COOKIE)
        )
    except SignInFailed as exc:
        await session.rollback()  # nothing of a refused sign-in is kept
        return _to_auth_page(base, str(exc.detail))
    issued = service.auth.signed_in(signed_in.user, "oauth")
    settings = service.container.settings
    response = _to_auth_page(base)
    max_age = max(1, issued.expires_at - int(time.time())) if issued.expires_at else None
    # Readable by the page's script (httponly off): /auth moves it into localStorage.
    response.set_cookie(
        "token",
        issued.token,
        max_age=max_age,
        httponly=False,
        samesite=settings.webui_auth_cookie_same_site,
        secure=settings.webui_auth_cookie_secure,
    )
    if signed_in.id_token and settings.oauth.enable_oauth_id_token_cookie:
        response.set_cookie(
            "oauth_id_token",
            signed_in.id_token,
            max_age=max_age,
            httponly=True,
            samesite=settings.webui_auth_cookie_same_site,
            secure=settings.webui_auth_cookie_secure,
        )
    return response
