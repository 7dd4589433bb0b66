"""Rules of LDAP sign-in and of its admin config: who may try, what the directory decides."""

from __future__ import annotations

import logging
import secrets

import anyio

from owlet.auth import repository
from owlet.auth.group_sync import sync_groups
from owlet.auth.ldap import directory
from owlet.auth.ldap.schemas import (
    REQUIRED_SERVER_FIELDS,
    SERVER_CONFIG_KEYS,
    LdapForm,
    LdapServerConfig,
)
from owlet.auth.service import AuthService
from owlet.core.validation import normalize_email
from owlet.errors import BadRequest, Forbidden, Messages, ServiceUnavailable, TooManyRequests
from owlet.tables import User
from owlet.users import repository as users

log = logging.getLogger(__name__)

# Directory calls get their own threads: a dead server holds each for up to LDAP_TIMEOUT,
# and must not starve the shared pool other blocking work (hashing, parsing) runs in.
LDAP_THREADS = 16
_limiter: anyio.CapacityLimiter | None = None


def _threads() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(LDAP_THREADS)
    return _limiter


def unusable_password(password: str) -> bool:
    """Empty, blank or NUL-bearing: refused before any bind (GHSA-2r4p-jpmg-48f4)."""
    return not password.strip() or "\x00" in password


class LdapService:
    """Built on AuthService: the same token, account creation and sign-in limit."""

    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.session = auth.session
        self.config = auth.config
        self.container = auth.container
        self.settings = auth.settings

    # -- sign-in ----------------------------------------------------------------------------

    async def signin(self, form: LdapForm) -> User:
        if not self.settings.enable_password_auth:
            raise Forbidden(Messages.ACTION_PROHIBITED)
        if not self.config.get("ldap.enable"):
            raise BadRequest(Messages.LDAP_DISABLED)
        if not self.settings.webui_auth:  # single-user mode: no one else may sign in
            raise Forbidden(Messages.ACCESS_PROHIBITED)
        username = form.user.strip()
        # One budget per name, shared with password sign-in when the name is an email.
        key = normalize_email(username) or username.lower()
        if not await self.container.signin_limiter.hit(key):
            raise TooManyRequests(Messages.RATE_LIMIT_EXCEEDED)
        if not username or "\x00" in username or unusable_password(form.password):
            raise BadRequest(Messages.INVALID_CRED)
        found = await self._ask_directory(username, form.password)
        email = normalize_email(found.email)
        if email is None:
            log.warning("LDAP: %s has no valid email address (%r)", found.dn, found.email)
            raise BadRequest(Messages.LDAP_FAILED)
        user = await users.get_by_email(self.session, email)
        if user is None:
            user = await self._create(found, email)
        else:
            auth = await repository.get_auth(self.session, user.id)
            if auth is not None and not auth.active:  # deactivated here, whatever LDAP says
                raise BadRequest(Messages.INVALID_CRED)
        if self.config.get("ldap.server.enable_group_management"):
            default_group = self.config.get("ui.default_group_id")
            await sync_groups(
                self.session,
                user,
                found.groups,
                create_missing=bool(self.config.get("ldap.server.enable_group_creation")),
                keep=[default_group] if default_group else [],
                share=self._group_share(),
            )
            self.container.credentials.forget_user(user.id)
        return user

    def directory_config(self) -> directory.DirectoryConfig:
        c = self.config.get
        return directory.DirectoryConfig(
            host=str(c("ldap.server.host") or ""),
            port=c("ldap.server.port"),
            use_tls=bool(c("ldap.server.use_tls")),
            ca_cert_file=str(c("ldap.server.ca_cert_file") or ""),
            validate_cert=bool(c("ldap.server.validate_cert")),
            ciphers=str(c("ldap.server.ciphers") or ""),
            app_dn=str(c("ldap.server.app_dn") or ""),
            app_password=str(c("ldap.server.app_password") or ""),
            search_base=str(c("ldap.server.search_base") or ""),
            search_filters=str(c("ldap.server.search_filters") or ""),
            attribute_for_username=str(c("ldap.server.attribute_for_username") or "uid"),
            attribute_for_mail=str(c("ldap.server.attribute_for_mail") or "mail"),
            attribute_for_groups=(
                str(c("ldap.server.attribute_for_groups") or "memberOf")
                if c("ldap.server.enable_group_management")
                else None
            ),
            timeout=self.settings.ldap_timeout,
        )

    async def _ask_directory(self, username: str, password: str) -> directory.DirectoryUser:
        config = self.directory_config()
        try:
            return await anyio.to_thread.run_sync(
                directory.authenticate, config, username, password, limiter=_threads()
            )
        except directory.DirectoryUnreachable as exc:
            log.warning("LDAP: %s:%s unreachable: %s", config.host, config.port, exc.reason)
            raise ServiceUnavailable(Messages.LDAP_UNREACHABLE) from exc
        except directory.DirectoryError as exc:
            # The reason stays in the log: the client learns nothing about which names exist.
            log.info("LDAP sign-in of %r refused: %s", username, exc.reason)
            raise BadRequest(Messages.LDAP_FAILED) from exc

    async def _create(self, found: directory.DirectoryUser, email: str) -> User:
        """First sign-in: an account with the default role (the only user becomes admin)."""
        password_hash = await self.container.hasher.hash(secrets.token_urlsafe(32))
        return await self.auth.create_user(
            name=found.name[:255] or email,
            email=email,
            password_hash=password_hash,
            profile_image_url="/user.png",
            role=str(self.config.get("ui.default_user_role") or "pending"),
        )

    def _group_share(self) -> bool | str:
        value = self.settings.default_group_share_permission.strip().lower()
        return {"true": True, "false": False}.get(value, "members")

    # -- admin config -----------------------------------------------------------------------

    def server_config(self) -> LdapServerConfig:
        values = {field: self.config.get(key) for field, key in SERVER_CONFIG_KEYS.items()}
        return LdapServerConfig.model_validate(values)

    async def update_server_config(self, form: LdapServerConfig) -> LdapServerConfig:
        for name in REQUIRED_SERVER_FIELDS:
            if not str(getattr(form, name)).strip():
                raise BadRequest(f"Required field {name} is empty")
        values = {key: getattr(form, field) for field, key in SERVER_CONFIG_KEYS.items()}
        await self.config.stage(self.session, values)
        return form

    async def set_enabled(self, enabled: bool | None) -> bool:
        if enabled is not None:
            await self.config.stage(self.session, {"ldap.enable": enabled})
            return enabled
        return bool(self.config.get("ldap.enable"))
