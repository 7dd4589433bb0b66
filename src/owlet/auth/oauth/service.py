"""Rules of signing in through a provider: state, the code exchange, and the account it maps to."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt
from authlib.common.security import generate_token
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth import repository as auth_repository
from owlet.auth.oauth import claims as oauth_claims
from owlet.auth.oauth import repository
from owlet.auth.oauth.client import ProviderClient, ProviderError, TokenRejected, new_pkce
from owlet.auth.oauth.groups import sync_groups
from owlet.auth.oauth.picture import DEFAULT_PICTURE, fetch_picture
from owlet.auth.oauth.settings import OAuthSettings
from owlet.auth.service import AuthService
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.core.clock import now
from owlet.core.validation import normalize_email
from owlet.errors import AppError, BadRequest, Messages, NotFound
from owlet.tables import OAuthState, User
from owlet.users import repository as users

log = logging.getLogger(__name__)

STATE_TTL = 600  # seconds between the redirect to the provider and its callback
# Stored as the password hash of accounts made through a provider: bcrypt and argon2 both
# refuse it, so such an account has no password until an admin sets one.
NO_PASSWORD = "!oauth"


class SignInFailed(BadRequest):
    """A callback that cannot sign anyone in; the browser goes back to /auth with the detail."""


@dataclass
class SignIn:
    user: User
    id_token: str | None


@dataclass
class Identity:
    sub: str
    email: str
    name: str
    email_verified: bool
    claims: dict[str, Any]


class OAuthService:
    def __init__(self, session: AsyncSession, container: Container, config: ConfigStore) -> None:
        self.session = session
        self.container = container
        self.config = config
        self.settings: OAuthSettings = container.settings.oauth
        self.auth = AuthService(session, container, config)

    def client(self, provider: str) -> ProviderClient:
        client = self.container.oauth.get(provider)
        if client is None:
            raise NotFound(f"Provider '{provider}' is not configured")
        return client

    # -- the redirect to the provider ---------------------------------------------------------

    async def begin(self, provider: str, redirect_uri: str) -> tuple[str, str]:
        """(the provider's authorization URL, the state the browser must bring back)."""
        client = self.client(provider)
        state, nonce = generate_token(43), generate_token(43)
        verifier, challenge = new_pkce()
        try:
            url = await client.authorization_url(
                redirect_uri=redirect_uri, state=state, nonce=nonce, code_challenge=challenge
            )
        except ProviderError as exc:
            log.warning("oauth %s: cannot start a sign-in: %s", provider, exc)
            raise SignInFailed(Messages.DEFAULT) from exc
        await repository.save_state(
            self.session,
            OAuthState(
                state=state,
                provider=provider,
                nonce=nonce,
                code_verifier=verifier,
                redirect_uri=redirect_uri,
                expires_at=now() + STATE_TTL,
            ),
        )
        return url, state

    # -- the callback -------------------------------------------------------------------------

    async def complete(
        self, provider: str, params: dict[str, str], browser_state: str | None
    ) -> SignIn:
        client = self.client(provider)
        state = params.get("state") or ""
        # The state must be the one this browser was given (no signing someone into an account
        # whose callback URL was planted on them), and unused (taken in its own transaction).
        same = bool(state and browser_state) and hmac.compare_digest(
            state.encode(), (browser_state or "").encode()
        )  # bytes: a non-ASCII str would make compare_digest raise
        if not same:
            raise self._fail(provider, "the state is missing or not this browser's")
        pending = await repository.take_state(self.session, state, provider)
        await self.session.commit()  # the state is spent, and no connection waits on the IdP
        if pending is None:
            raise self._fail(provider, "unknown, used or expired state")
        if params.get("error") or not params.get("code"):
            raise self._fail(provider, f"provider answered {params.get('error') or 'no code'}")
        try:
            token = await client.exchange_code(
                code=params["code"],
                redirect_uri=pending.redirect_uri,
                code_verifier=pending.code_verifier,
            )
            identity = await self._identity(client, token, pending.nonce)
        except (ProviderError, TokenRejected) as exc:
            raise self._fail(provider, str(exc)) from exc
        self._admit(provider, identity)
        picture = await self._picture(provider, identity)
        user = await self._account(provider, identity, picture)
        return SignIn(user=user, id_token=token.get("id_token"))

    def _fail(self, provider: str, reason: str) -> SignInFailed:
        log.warning("oauth %s: sign-in refused: %s", provider, reason)
        return SignInFailed(Messages.INVALID_CRED)

    async def _identity(
        self, client: ProviderClient, token: dict[str, Any], nonce: str
    ) -> Identity:
        s = self.settings
        access_token = str(token["access_token"])
        claims: dict[str, Any] = {}
        if client.provider.is_openid:
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise TokenRejected("the token response has no id_token")
            claims = await client.id_token_claims(id_token, nonce=nonce, access_token=access_token)
        if not client.provider.is_openid or not (
            oauth_claims.claim(claims, s.oauth_email_claim)
            and oauth_claims.claim(claims, s.oauth_username_claim)
        ):
            info = await client.userinfo(access_token)
            if claims and info.get("sub") not in (None, claims.get("sub")):
                raise TokenRejected("userinfo is about another subject")
            claims = {**info, **claims}  # the signed ID token wins over userinfo
        if client.provider.name == "github" and "id" in claims:
            claims.setdefault("sub", str(claims["id"]))
            claims.setdefault("name", claims.get("login"))
        sub = oauth_claims.claim(claims, s.oauth_sub_claim) if s.oauth_sub_claim else None
        sub = sub or claims.get("sub")
        if not sub:
            raise TokenRejected("no subject claim")
        if len(str(sub)) > 255:
            raise TokenRejected("the subject claim is longer than 255 characters")
        raw_email = oauth_claims.claim(claims, s.oauth_email_claim)
        if not raw_email and client.provider.name == "github":
            raw_email = await client.github_primary_email(access_token)
        if not raw_email and s.enable_oauth_email_fallback:
            raw_email = f"{client.provider.name}@{sub}.local"
        email = normalize_email(str(raw_email)) if raw_email else None
        if email is None:
            raise TokenRejected(f"no usable email claim ({s.oauth_email_claim})")
        name = oauth_claims.claim(claims, s.oauth_username_claim)
        verified = claims.get("email_verified")
        return Identity(
            sub=str(sub),
            email=email,
            name=(str(name) if name else email)[:255],
            # Only an explicit yes counts (some providers send strings, some nothing at all).
            email_verified=verified is True or str(verified).lower() == "true",
            claims=claims,
        )

    # -- the account ----------------------------------------------------------------------------

    def _admit(self, provider: str, who: Identity) -> None:
        if not self.container.settings.webui_auth:  # single-user mode: no one else signs in
            raise SignInFailed(Messages.ACCESS_PROHIBITED)
        if not oauth_claims.domain_allowed(self.settings, who.email, who.email_verified):
            log.warning("oauth %s: %s is outside OAUTH_ALLOWED_DOMAINS", provider, who.email)
            raise SignInFailed(Messages.ACCESS_PROHIBITED)

    async def _picture(self, provider: str, who: Identity) -> str | None:
        """The picture claim's image as a data URI, when this sign-in stores one: for a new
        account, and at every sign-in with OAUTH_UPDATE_PICTURE_ON_LOGIN. Fetched before the
        account's transaction, so no connection waits on someone else's server."""
        s = self.settings
        if not s.oauth_picture_claim:
            return None
        if not s.oauth_update_picture_on_login:
            known = await repository.user_for(self.session, provider, who.sub) is not None or (
                s.oauth_merge_accounts_by_email
                and await users.get_by_email(self.session, who.email) is not None
            )
            await self.session.commit()  # ends the read: nothing is held during the fetch
            if known or not s.enable_oauth_signup:
                return None
        url = oauth_claims.claim(who.claims, s.oauth_picture_claim)
        return await fetch_picture(self.container.egress, url)

    async def _account(self, provider: str, who: Identity, picture: str | None) -> User:
        s = self.settings
        user = await repository.user_for(self.session, provider, who.sub)
        try:
            if user is None and s.oauth_merge_accounts_by_email:
                user = await self._merge_candidate(who)
                if user is not None:
                    await repository.link(self.session, provider, who.sub, user.id)
            if user is None:
                user = await self._create(provider, who, picture)
            else:
                await self._returning(user, who, picture)
            await self._record_link(user, provider, who.sub)
            if s.enable_oauth_group_management:
                await sync_groups(self.session, s, user, who.claims)
        except IntegrityError as exc:  # the same person's other tab won the race
            raise SignInFailed(Messages.EMAIL_TAKEN) from exc
        self.container.credentials.forget_user(user.id)
        return user

    async def _merge_candidate(self, who: Identity) -> User | None:
        user = await users.get_by_email(self.session, who.email)
        if user is not None and not who.email_verified:
            # A provider that does not vouch for the address does not get to take over the
            # account that owns it (an unverified claim is anyone's to set).
            log.warning("oauth: not merging into %s: the email is not verified", who.email)
            return None
        return user

    def _default_role(self) -> str:
        return str(self.config.get("ui.default_user_role") or "pending")

    def _role(self, claims: dict[str, Any], default: str) -> str:
        if not self.settings.enable_oauth_role_management:
            return default
        try:
            return oauth_claims.mapped_role(self.settings, claims, default)
        except oauth_claims.RoleRefused as exc:
            log.warning("oauth: roles %s match neither allowed nor admin roles", exc.args[0])
            raise SignInFailed(Messages.ACCESS_PROHIBITED) from exc

    async def _create(self, provider: str, who: Identity, picture: str | None) -> User:
        if not self.settings.enable_oauth_signup:
            raise SignInFailed(Messages.ACCESS_PROHIBITED)
        if await users.get_by_email(self.session, who.email) is not None:
            raise SignInFailed(Messages.EMAIL_TAKEN)
        role = self._role(who.claims, self._default_role())
        try:
            user = await self.auth.create_user(
                name=who.name,
                email=who.email,
                password_hash=NO_PASSWORD,
                profile_image_url=picture or DEFAULT_PICTURE,
                role=role,
            )
        except AppError as exc:
            raise SignInFailed(exc.detail) from exc
        await repository.link(self.session, provider, who.sub, user.id)
        return user

    async def _returning(self, user: User, who: Identity, picture: str | None) -> None:
        auth = await auth_repository.get_auth(self.session, user.id)
        if auth is not None and not auth.active:
            raise SignInFailed(Messages.ACCESS_PROHIBITED)
        s = self.settings
        if s.enable_oauth_role_management:
            # The provider is the authority on roles: no roles claim means the default role.
            user.role = self._role(who.claims, self._default_role())
        if user.primary_admin:
            user.role = "admin"  # the first account stays admin, whatever the provider says
        if s.oauth_update_name_on_login and who.name:
            user.name = who.name
        if s.oauth_update_picture_on_login and picture:
            user.profile_image_url = picture  # a picture that could not be had keeps the old one
        if s.oauth_update_email_on_login and who.email != user.email:
            if await users.get_by_email(self.session, who.email) is None:
                user.email = who.email
                await auth_repository.set_auth_email(self.session, user.id, who.email)
        user.updated_at = now()
        await self.session.flush()

    async def _record_link(self, user: User, provider: str, sub: str) -> None:
        """`user.oauth` as Open WebUI exposes it: `{provider: {sub}}`."""
        current = dict(user.oauth or {})
        if current.get(provider, {}).get("sub") != sub:
            current[provider] = {"sub": sub}
            user.oauth = current
            await self.session.flush()

    # -- sign-out ---------------------------------------------------------------------------------

    async def end_session_url(self, id_token: str) -> str | None:
        """The provider's logout URL for the session this ID token belongs to, if it has one."""
        try:
            issuer = pyjwt.decode(id_token, options={"verify_signature": False}).get("iss")
        except pyjwt.PyJWTError:
            return None
        for client in self.container.oauth.clients.values():
            if not client.provider.is_openid:
                continue
            try:
                if (await client.metadata()).get("issuer") != issuer:
                    continue
                return await client.end_session_url(
                    id_token, self.settings.webui_auth_signout_redirect_url
                )
            except ProviderError as exc:
                log.warning("oauth %s: no provider sign-out: %s", client.provider.name, exc)
        return None
