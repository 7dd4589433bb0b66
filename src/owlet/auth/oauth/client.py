"""The relying-party side of OAuth 2 / OpenID Connect, over the Container's HTTP client.

authlib supplies the protocol pieces (PKCE, the authorization URL, ID-token claim rules) and
joserfc the signature check; the HTTP calls go through the one shared httpx client instead of
authlib's own client objects, so they share its pool and never block the event loop.
authlib's OAuth 2 / OIDC modules and joserfc's JWT are imported at the first sign-in that
needs them: a server without OAuth would otherwise pay about 12 MiB and 150 ms at start-up.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError

from owlet.auth.oauth.providers import Provider

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

METADATA_TTL = 3600.0  # seconds a discovery document (and its JWKS) is reused
CLOCK_LEEWAY = 120  # seconds of clock skew tolerated on exp / iat
# Asymmetric algorithms only: "none" and the HMAC family (keyed by the client secret) never
# verify an ID token here.
SIGNING_ALGS = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
}  # fmt: skip


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


class TokenRejected(Exception):
    """The ID token failed a check (signature, issuer, audience, nonce, expiry)."""


def new_pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = generate_token(64)
    return verifier, create_s256_code_challenge(verifier)


class ProviderClient:
    def __init__(self, provider: Provider, http: httpx.AsyncClient, timeout: float) -> None:
        self.provider = provider
        self.http = http
        self.timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: dict[str, Any] | None = None

    # -- HTTP ---------------------------------------------------------------------------------

    async def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        try:
            response = await self.http.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise ProviderError(f"{method} {url}: {response.status_code} {body!r:.300}")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The discovery document (or the fixed endpoints of a plain OAuth 2 provider)."""
        p = self.provider
        if not p.is_openid:
            return {
                "authorization_endpoint": p.authorization_endpoint,
                "token_endpoint": p.token_endpoint,
                "userinfo_endpoint": p.userinfo_endpoint,
            }
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL:
            document = await self._json("GET", p.discovery_url)
            if not isinstance(document, dict) or "authorization_endpoint" not in document:
                raise ProviderError(f"{p.discovery_url} is not an OpenID configuration")
            self._metadata, self._metadata_at, self._jwks = document, time.monotonic(), None
        return self._metadata

    async def _key_set(self, force: bool = False) -> KeySet:
        from joserfc.jwk import KeySet

        if self._jwks is None or force:
            uri = (await self.metadata()).get("jwks_uri")
            if not uri:
                raise ProviderError("the provider publishes no jwks_uri")
            self._jwks = await self._json("GET", uri)
        try:
            return KeySet.import_key_set(self._jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"unusable JWKS: {exc}") from exc

    # -- the flow -------------------------------------------------------------------------------

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        metadata = await self.metadata()
        params: dict[str, Any] = {**self.provider.authorize_params}
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
        if self.provider.is_openid:
            params["nonce"] = nonce
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

        uri: str = prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self.provider.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.provider.scopes,
            state=state,
            **params,
        )
        return uri

    async def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        """The token endpoint's answer for an authorization code."""
        p = self.provider
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        headers: dict[str, str] = {}
        if p.token_auth_method == "client_secret_basic":
            pair = f"{_form_quote(p.client_id)}:{_form_quote(p.client_secret)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form["client_id"] = p.client_id
            if p.token_auth_method == "client_secret_post":
                form["client_secret"] = p.client_secret
        endpoint = (await self.metadata())["token_endpoint"]
        token = await self._json("POST", endpoint, data=form, headers=headers)
        if not isinstance(token, dict) or "access_token" not in token:
            raise ProviderError(f"the token endpoint answered no access_token: {token!r:.300}")
        return token

    async def id_token_claims(
        self, id_token: str, *, nonce: str, access_token: str | None
    ) -> dict[str, Any]:
        """Verify the ID token's signature against the provider's JWKS (fetched again once,
        for a rotated key) and its claims: iss, aud contains our client, azp, exp, nonce."""
        metadata = await self.metadata()
        algs = [
            a
            for a in metadata.get("id_token_signing_alg_values_supported", [])
            if a in SIGNING_ALGS
        ]
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt

        try:
            token = jwt.decode(id_token, await self._key_set(), algorithms=algs or ["RS256"])
        except (InvalidKeyIdError, BadSignatureError):
            try:
                token = jwt.decode(
                    id_token, await self._key_set(force=True), algorithms=algs or ["RS256"]
                )
            except JoseError as exc:
                raise TokenRejected(f"signature: {exc}") from exc
        except (JoseError, ValueError) as exc:
            raise TokenRejected(f"undecodable ID token: {exc}") from exc
        claims = dict(token.claims)
        issuer = str(metadata.get("issuer", ""))
        if "{tenantid}" in issuer:  # Microsoft's multi-tenant document: the token names it
            issuer = issuer.replace("{tenantid}", str(claims.get("tid", "")))
        client_id = self.provider.client_id
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        }
        params = {"nonce": nonce, "client_id": client_id, "access_token": access_token}
        try:
            CodeIDToken(claims, token.header, options, params).validate(leeway=CLOCK_LEEWAY)
        except (JoseError, ValueError, TypeError) as exc:
            raise TokenRejected(str(exc)) from exc
        return claims

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        endpoint = (await self.metadata()).get("userinfo_endpoint")
        if not endpoint:
            return {}
        info = await self._json(
            "GET", endpoint, headers={"Authorization": f"Bearer {access_token}"}
        )
        return info if isinstance(info, dict) else {}

    async def github_primary_email(self, access_token: str) -> str | None:
        emails = await self._json(
            "GET",
            f"{self.provider.userinfo_endpoint}/emails",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        for entry in emails if isinstance(emails, list) else []:
            if isinstance(entry, dict) and entry.get("primary") and entry.get("verified"):
                return str(entry.get("email") or "") or None
        return None

    async def end_session_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """RP-initiated logout: where to send the browser, if the provider supports it."""
        endpoint = self.provider.end_session_endpoint
        if not endpoint and self.provider.is_openid:
            endpoint = str((await self.metadata()).get("end_session_endpoint") or "")
        if not endpoint:
            return None
        params = {"id_token_hint": id_token}
        if post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
        url: str = add_params_to_uri(endpoint, params)
        return url


def _form_quote(value: str) -> str:
    """RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic auth."""
    return quote_plus(value)


class OAuthClients:
    """One ProviderClient per configured provider, kept for the process (caches inside)."""

    def __init__(self, providers: dict[str, Provider], http: httpx.AsyncClient, timeout: float):
        self.clients = {name: ProviderClient(p, http, timeout) for name, p in providers.items()}

    def get(self, name: str) -> ProviderClient | None:
        return self.clients.get(name)
