"""Sign-in without a password form: a trusted proxy's headers, or single-user mode.

WEBUI_AUTH_TRUSTED_EMAIL_HEADER: the proxy in front has authenticated the person and names
them in a header; `/signin` believes it (and creates the account on first sight).
WEBUI_AUTH=false: there is one account, `admin@localhost`, and `/signin` hands out its token.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from owlet.auth import repository
from owlet.auth.group_sync import sync_groups
from owlet.auth.service import AuthService
from owlet.container import Container
from owlet.core.validation import normalize_email
from owlet.db.engine import create_engine
from owlet.errors import BadRequest, Messages
from owlet.settings import Settings
from owlet.tables import User
from owlet.users import repository as users

log = logging.getLogger(__name__)

SINGLE_USER_EMAIL = "admin@localhost"
SINGLE_USER_PASSWORD = "admin"
SINGLE_USER_NAME = "User"
ROLES = ("admin", "user", "pending")


class SingleUserModeError(RuntimeError):
    """WEBUI_AUTH=false on a database that holds other accounts; start-up stops."""


async def _active_or_refused(service: AuthService, user: User) -> User:
    """A deactivated account stays out, however it signs in (as with a password)."""
    auth = await repository.get_auth(service.session, user.id)
    if auth is not None and not auth.active:
        raise BadRequest(Messages.INVALID_CRED)
    return user


async def trusted_header_signin(service: AuthService, headers: Headers) -> User:
    settings = service.settings
    raw = headers.get(settings.webui_auth_trusted_email_header)
    if not raw or not raw.strip():
        raise BadRequest(Messages.INVALID_TRUSTED_HEADER)
    email = normalize_email(raw)
    if email is None:
        raise BadRequest(Messages.INVALID_EMAIL_FORMAT)
    user = await users.get_by_email(service.session, email)
    if user is None:
        sent = ""
        if settings.webui_auth_trusted_name_header:
            sent = unquote(headers.get(settings.webui_auth_trusted_name_header) or "").strip()
        name = sent[:255] or email
        # The proxy vouches for the person: sign-up settings do not apply (Open WebUI 0.8+).
        user = await service.create_user(
            name=name,
            email=email,
            password_hash=await service.container.hasher.hash(secrets.token_urlsafe(32)),
            profile_image_url="/user.png",
            role=str(service.config.get("ui.default_user_role") or "pending"),
        )
    else:
        await _active_or_refused(service, user)
    role_header = settings.webui_auth_trusted_role_header
    role = (headers.get(role_header) or "").strip().lower() if role_header else ""
    if role in ROLES and role != user.role and not user.primary_admin:
        user.role = role
        service.container.credentials.forget_user(user.id)
    if settings.webui_auth_trusted_groups_header:
        sent_groups = headers.get(settings.webui_auth_trusted_groups_header)
        if sent_groups is not None:
            default_group = service.config.get("ui.default_group_id")
            await sync_groups(
                service.session,
                user,
                (unquote(g) for g in sent_groups.split(",")),
                create_missing=False,
                keep=[default_group] if default_group else [],
            )
            service.container.credentials.forget_user(user.id)
    await service.session.flush()
    return user


async def single_user_signin(service: AuthService) -> User:
    user = await users.get_by_email(service.session, SINGLE_USER_EMAIL)
    if user is not None:
        return await _active_or_refused(service, user)
    if await users.any_exist(service.session):
        raise BadRequest(Messages.EXISTING_USERS)
    return await service.create_user(
        name=SINGLE_USER_NAME,
        email=SINGLE_USER_EMAIL,
        password_hash=await service.container.hasher.hash(SINGLE_USER_PASSWORD),
        profile_image_url="/user.png",
        role=str(service.config.get("ui.default_user_role") or "pending"),
    )  # the first account: create_user makes it admin


async def check_single_user_mode(container: Container) -> None:
    """With WEBUI_AUTH=false, refuse to start on a database with anyone but the one user."""
    if container.settings.webui_auth:
        return
    async with container.sessionmaker() as session:
        _refuse_others(await users.count_except_email(session, SINGLE_USER_EMAIL))


async def preflight(settings: Settings) -> None:
    """`owlet serve`: the same check before any worker starts, so it ends in one clear line."""
    if settings.webui_auth:
        return
    engine = create_engine(settings)
    try:
        async with AsyncSession(engine) as session:
            _refuse_others(await users.count_except_email(session, SINGLE_USER_EMAIL))
    finally:
        await engine.dispose()


def _refuse_others(others: int) -> None:
    if others:
        raise SingleUserModeError(
            f"WEBUI_AUTH=false (single-user mode) needs a database whose only account is "
            f"{SINGLE_USER_EMAIL}, but this one has {others} other account(s). Unset "
            "WEBUI_AUTH to sign in as them, or point DATA_DIR/DATABASE_URL at a fresh database."
        )
