"""The password rules every route that sets a password applies, as 400s with OWUI's wording."""

from __future__ import annotations

from owlet.core.passwords import BCRYPT_MAX_BYTES, PasswordRuleError, check_password_rules
from owlet.errors import BadRequest, Messages
from owlet.settings import Settings


def validate_password(settings: Settings, password: str) -> None:
    pattern = (
        settings.password_validation_regex_pattern if settings.enable_password_validation else None
    )
    try:
        check_password_rules(password, pattern=pattern, hint=settings.password_validation_hint)
    except PasswordRuleError as exc:
        if len(password.encode()) > BCRYPT_MAX_BYTES:
            raise BadRequest(Messages.PASSWORD_TOO_LONG) from exc
        raise BadRequest(str(exc) or Messages.INVALID_PASSWORD) from exc
