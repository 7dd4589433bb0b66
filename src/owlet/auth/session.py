"""The signed-in answer every sign-in route gives: a token, its cookie, the user's fields."""

from __future__ import annotations

import time

from fastapi import Response

from owlet.auth.schemas import SessionUserResponse
from owlet.auth.service import AuthService
from owlet.tables import User
from owlet.users.presenter import profile_image_route


def set_token_cookie(
    response: Response, service: AuthService, token: str, expires_at: int | None
) -> None:
    """The cookie lives as long as its token (a session cookie if the token never expires)."""
    settings = service.settings
    response.set_cookie(
        "token",
        token,
        httponly=True,
        samesite=settings.webui_auth_cookie_same_site,
        secure=settings.webui_auth_cookie_secure,
        max_age=max(1, expires_at - int(time.time())) if expires_at else None,
    )


async def session_response(
    service: AuthService, user: User, response: Response, method: str = "api"
) -> SessionUserResponse:
    issued = service.signed_in(user, method)
    set_token_cookie(response, service, issued.token, issued.expires_at)
    return SessionUserResponse(
        token=issued.token,
        expires_at=issued.expires_at,
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        profile_image_url=profile_image_route(user.id),
        permissions=await service.permissions(user),
    )
