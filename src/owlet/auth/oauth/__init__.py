"""Sign-in through OAuth 2 / OpenID Connect providers (Open WebUI's /oauth routes)."""
