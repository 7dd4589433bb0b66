"""Rules of sign-up, sign-in, sessions, profiles, passwords and API keys."""

from __future__ import annotations

import logging
import zoneinfo
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth import api_keys, repository, tokens
from owlet.auth.credentials import Identity
from owlet.auth.schemas import (
    ADMIN_CONFIG_KEYS,
    KEPT_WHEN_LEFT_OUT,
    NULLABLE_SKILL_LIMITS,
    AddUserForm,
    AdminConfig,
    AdminConfigSaved,
    SignupForm,
    UpdatePasswordForm,
    UpdateProfileForm,
)
from owlet.config import repository as config_repository
from owlet.config.store import ConfigStore, Staged
from owlet.container import Container
from owlet.core.clock import new_id, now
from owlet.core.durations import parse_lifetime
from owlet.core.validation import normalize_email
from owlet.errors import BadRequest, Forbidden, Messages, NotFound, TooManyRequests
from owlet.groups import repository as groups
from owlet.tables import User
from owlet.users import permissions as user_permissions
from owlet.users import repository as users
from owlet.users.passwords import validate_password

log = logging.getLogger(__name__)
DEFAULT_LIFETIME = "4w"


class AuthService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config
        self.settings = container.settings

    # -- tokens -----------------------------------------------------------------------------

    def token_lifetime(self) -> float | None:
        try:
            return parse_lifetime(str(self.config.get("auth.jwt_expiry")))
        except ValueError:
            log.warning("stored auth.jwt_expiry is invalid; using %s", DEFAULT_LIFETIME)
            return parse_lifetime(DEFAULT_LIFETIME)

    def issue_token(self, user: User) -> tokens.IssuedToken:
        return tokens.issue(self.container.secret_key, user.id, self.token_lifetime())

    def signed_in(self, user: User, method: str = "api") -> tokens.IssuedToken:
        """A session token for a sign-in (any route), told to the event webhooks."""
        self.container.events.publish(
            self.session, "auth.login", actor=user, subject_id=user.id, subject_type="user",
            source=method, data={"auth_method": method},
        )  # fmt: skip
        return self.issue_token(user)

    async def permissions(self, user: User) -> dict[str, Any]:
        return await user_permissions.effective(self.session, self.config, user.id)

    # -- sign-up / sign-in ------------------------------------------------------------------

    async def _validated_credentials(self, email: str, password: str) -> tuple[str, str]:
        normalized = normalize_email(email)
        if normalized is None:
            raise BadRequest(Messages.INVALID_EMAIL_FORMAT)
        self.validate_password(password)
        if await users.get_by_email(self.session, normalized) is not None:
            raise BadRequest(Messages.EMAIL_TAKEN)
        return normalized, await self.container.hasher.hash(password)

    def validate_password(self, password: str) -> None:
        validate_password(self.settings, password)

    async def signup(self, form: SignupForm) -> User:
        if not self.settings.webui_auth:
            # Single-user mode has one account, made by its own sign-in: a sign-up, even on
            # an empty database, would take the admin seat and stop the next start.
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        if await users.any_exist(self.session):
            if not (
                self.config.get("ui.enable_signup") and self.config.get("ui.enable_login_form")
            ):
                raise Forbidden(Messages.ACCESS_PROHIBITED)
        elif not self.config.get("ui.enable_login_form") and not (
            self.settings.enable_initial_admin_signup
        ):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        email, password_hash = await self._validated_credentials(form.email, form.password)
        user = await self.create_user(
            name=form.name,
            email=email,
            password_hash=password_hash,
            profile_image_url=form.profile_image_url or "/user.png",
            role=str(self.config.get("ui.default_user_role") or "pending"),
            self_signup=True,
        )
        self.container.events.publish(
            self.session, "auth.signup", actor=user, subject_id=user.id, subject_type="user",
            data={"email": user.email},
        )  # fmt: skip
        return user

    async def create_user(
        self,
        *,
        name: str,
        email: str,
        password_hash: str,
        profile_image_url: str,
        role: str,
        self_signup: bool = False,
        admin: User | None = None,
    ) -> User:
        """Insert a user; the only user becomes admin and closes sign-up (race-safe).
        `admin` is the admin adding the account, if one is.

        A self sign-up re-checks, under the sign-up lock, that sign-up is still open: one
        that raced the first user past the early check is refused and rolled back.
        """
        await users.lock_signups(self.session)
        stamp = now()
        user = User(
            id=new_id(),
            email=email,
            name=name,
            role=role,
            profile_image_url=profile_image_url,
            last_active_at=stamp,
            updated_at=stamp,
            created_at=stamp,
        )
        try:
            await users.insert(self.session, user)
            await repository.insert_auth(self.session, user.id, email, password_hash)
        except IntegrityError as exc:  # a concurrent sign-up took the email; tx rolls back
            raise BadRequest(Messages.EMAIL_TAKEN) from exc
        if await users.count(self.session) == 1:
            user.role = "admin"
            user.primary_admin = True
            await self.config.stage(self.session, {"ui.enable_signup": False})
        elif self_signup and not await config_repository.get_value(
            self.session, "ui.enable_signup", self.config.get("ui.enable_signup")
        ):
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        default_group = self.config.get("ui.default_group_id")
        if default_group and await groups.get(self.session, default_group) is not None:
            await groups.add_members(self.session, default_group, [user.id])
        await self.session.flush()
        self.container.events.publish(
            self.session, "user.created", actor=admin or user, subject_id=user.id,
            source="admin" if admin else "api", data={"role": user.role},
        )  # fmt: skip
        return user

    async def signin(self, email: str, password: str) -> User:
        if not self.settings.enable_password_auth:
            raise Forbidden(Messages.ACTION_PROHIBITED)
        # One key for the limit and the look-up: variants of an address that reach the
        # same account (case, Unicode compatibility forms) share one budget.
        normalized = normalize_email(email) or email.strip().lower()
        if not await self.container.signin_limiter.hit(normalized):
            raise TooManyRequests(Messages.RATE_LIMIT_EXCEEDED)
        auth = await repository.get_auth_by_email(self.session, normalized)
        ok = await self.container.hasher.verify(password, auth.password if auth else None)
        if auth is None or not ok or not auth.active:
            raise BadRequest(Messages.INVALID_CRED)
        user = await users.get(self.session, auth.id)
        if user is None:
            raise BadRequest(Messages.INVALID_CRED)
        return user

    async def signout(self, identity: Identity | None) -> None:
        if identity is None:
            return
        if identity.claims is not None:  # an API key is not revoked by signing out
            await self.container.revocations.revoke(
                self.session, identity.claims["jti"], identity.claims.get("exp")
            )
        self.user_event(identity.user, "auth.logout")

    def user_event(self, user: User, name: str, **data: Any) -> None:
        """Event `name` about the caller's own account, for the webhooks once this commits."""
        self.container.events.publish(self.session, name, actor=user, subject_id=user.id,
                                      subject_type="user", data=data)  # fmt: skip

    async def create_admin(self, *, email: str, password: str, name: str) -> User:
        """`owlet create-admin`: an admin account, whatever the sign-up settings."""
        normalized, password_hash = await self._validated_credentials(email, password)
        return await self.create_user(
            name=name,
            email=normalized,
            password_hash=password_hash,
            profile_image_url="/user.png",
            role="admin",
        )

    async def add_user(self, admin: User, form: AddUserForm) -> User:
        email, password_hash = await self._validated_credentials(form.email, form.password)
        return await self.create_user(
            name=form.name,
            email=email,
            password_hash=password_hash,
            profile_image_url=form.profile_image_url or "/user.png",
            role=form.role or "pending",
            admin=admin,
        )

    # -- the signed-in user -------------------------------------------------------------------

    async def update_profile(self, user: User, form: UpdateProfileForm) -> User:
        self.container.credentials.forget_user(user.id)
        user.name = form.name
        user.profile_image_url = form.profile_image_url
        for field in ("bio", "gender", "date_of_birth"):
            value = getattr(form, field)
            if value is not None:
                setattr(user, field, value)
        user.updated_at = now()
        await self.session.flush()
        return user

    async def update_timezone(self, user: User, timezone: str) -> None:
        self.container.credentials.forget_user(user.id)
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise BadRequest(f"Unknown timezone: {timezone}") from exc
        user.timezone = timezone
        await self.session.flush()

    async def update_password(self, user: User, form: UpdatePasswordForm) -> bool:
        if self.settings.webui_auth_trusted_email_header:  # the proxy owns credentials
            raise BadRequest(Messages.ACTION_PROHIBITED)
        self.container.credentials.forget_user(user.id)
        auth = await repository.get_auth(self.session, user.id)
        if auth is None or not await self.container.hasher.verify(form.password, auth.password):
            raise BadRequest(Messages.INCORRECT_PASSWORD)
        self.validate_password(form.new_password)
        new_hash = await self.container.hasher.hash(form.new_password)
        await repository.set_password(self.session, user.id, new_hash)
        self.user_event(user, "auth.password_changed")
        return True

    async def admin_details(self) -> dict[str, str | None]:
        if not self.config.get("auth.admin.show"):
            raise BadRequest(Messages.ACTION_PROHIBITED)
        email = self.config.get("auth.admin.email")
        if email:
            admin = await users.get_by_email(self.session, str(email).lower())
            return {"name": admin.name if admin else None, "email": str(email)}
        first = await users.first_user_id(self.session)
        admin = await users.get(self.session, first) if first else None
        return (
            {"name": admin.name, "email": admin.email} if admin else {"name": None, "email": None}
        )

    # -- admin config -----------------------------------------------------------------------

    def admin_config(self) -> AdminConfig:
        values = {field: self.config.get(key) for field, key in ADMIN_CONFIG_KEYS.items()}
        return AdminConfig.model_validate(values)

    async def update_admin_config(self, form: AdminConfig) -> AdminConfigSaved:
        try:
            lifetime = parse_lifetime(form.JWT_EXPIRES_IN)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        if lifetime is None:
            log.warning("admin set JWT_EXPIRES_IN=%s: new tokens never expire", form.JWT_EXPIRES_IN)
        values: dict[str, Any] = {}
        for field, key in ADMIN_CONFIG_KEYS.items():
            value = getattr(form, field)
            left_out = field not in form.model_fields_set or (
                value is None and field not in NULLABLE_SKILL_LIMITS
            )
            if not (field in KEPT_WHEN_LEFT_OUT and left_out):
                values[key] = value
        await self.config.stage(self.session, values)
        stored = Staged(self.config, values)
        return AdminConfigSaved.model_validate(
            {field: stored.get(key) for field, key in ADMIN_CONFIG_KEYS.items()}
        )

    # -- API keys ---------------------------------------------------------------------------

    async def _check_api_keys_allowed(self, user: User) -> None:
        allowed = bool(self.config.get("auth.enable_api_keys"))
        if allowed and user.role != "admin":
            allowed = user_permissions.has(await self.permissions(user), "features.api_keys")
        if not allowed:
            raise Forbidden(Messages.API_KEY_CREATION_NOT_ALLOWED)

    async def create_api_key(self, user: User) -> str:
        self.container.credentials.forget_user(user.id)
        await self._check_api_keys_allowed(user)
        key = api_keys.generate()
        await repository.replace_api_key(
            self.session, user.id, api_keys.digest(key), self.container.cipher.encrypt(key)
        )
        self.user_event(user, "auth.api_key.created")
        return key

    async def get_api_key(self, user: User) -> str:
        await self._check_api_keys_allowed(user)
        row = await repository.get_api_key(self.session, user.id)
        key = self.container.cipher.decrypt(row.key_encrypted) if row else None
        if key is None:
            raise NotFound(Messages.API_KEY_NOT_FOUND)
        return key

    async def delete_api_key(self, user: User) -> bool:
        self.container.credentials.forget_user(user.id)
        await self._check_api_keys_allowed(user)
        if await repository.delete_api_key(self.session, user.id):
            self.user_event(user, "auth.api_key.deleted")
        return True


async def ensure_initial_admin(container: Container) -> None:
    """WEBUI_ADMIN_EMAIL/WEBUI_ADMIN_PASSWORD: create that admin on a database with no users.

    It becomes the primary admin and sign-up closes, as with a first sign-up. Several
    workers may try at once; the losers see the email taken and carry on.
    """
    settings = container.settings
    if not (settings.webui_admin_email and settings.webui_admin_password):
        return
    async with container.sessionmaker() as session:
        if await users.any_exist(session):
            return
        service = AuthService(session, container, await container.config.fresh())
        try:
            await service.create_admin(
                email=settings.webui_admin_email,
                password=settings.webui_admin_password,
                name=settings.webui_admin_name,
            )
            await session.commit()
            log.info(
                "created the initial admin %s from WEBUI_ADMIN_EMAIL", settings.webui_admin_email
            )
        except BadRequest as exc:
            await session.rollback()
            if exc.detail != Messages.EMAIL_TAKEN:
                raise InitialAdminError(f"WEBUI_ADMIN_EMAIL/PASSWORD: {exc.detail}") from exc
        except IntegrityError:
            await session.rollback()  # another worker created it first


class InitialAdminError(RuntimeError):
    """The configured initial admin cannot be created; start-up stops."""
