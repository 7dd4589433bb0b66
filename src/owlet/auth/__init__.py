"""Sign-up, sign-in, JWTs, API keys, revocation and the sign-in rate limit."""
