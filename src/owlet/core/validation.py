"""Validators shared by wire schemas: emails, profile image URLs, bounded strings."""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

MAX_IMAGE_URL_CHARS = 2_000_000
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")


def normalize_email(value: str) -> str | None:
    """The lower-cased address, or None when it is not a valid email."""
    try:
        result = validate_email(
            value.strip(), check_deliverability=False, globally_deliverable=False
        )
    except EmailNotValidError:
        return None
    return result.normalized.lower()


def check_profile_image_url(value: str) -> str:
    if len(value) > MAX_IMAGE_URL_CHARS:
        raise ValueError("profile image is too large")
    if value == "" or value.startswith(("http://", "https://")):
        return value
    if value.startswith("/") and not value.startswith("//"):
        return value
    if _DATA_IMAGE.match(value[:64] + value[64:].replace("\n", "")):
        return value
    raise ValueError("must be an http(s) URL, a path, or a data:image/png|jpeg|gif|webp URI")


ProfileImageUrl = Annotated[str, AfterValidator(check_profile_image_url)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ShortText = Annotated[str, StringConstraints(max_length=10_000)]
EmailText = Annotated[str, StringConstraints(min_length=1, max_length=320)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
