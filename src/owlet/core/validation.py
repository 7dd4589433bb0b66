"""Validators shared by wire schemas: clean text and JSON, emails, image URLs, bounded strings.

Every input model derives from `Form`, which refuses what no database stores faithfully
(NUL characters, lone surrogates, NaN/Infinity, integers beyond 64 bits, absurd nesting),
so such input gets a 422 instead of failing deep inside a driver.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1


def check_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def check_json(value: Any, depth: int = 0) -> Any:
    """Raise ValueError unless `value` is JSON every supported database stores as given."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if abs(value) > INT64_MAX:
            raise ValueError("integers must fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key))
            check_json(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            check_json(item, depth + 1)
    elif isinstance(value, BaseModel):  # a nested model (e.g. a list of them) in a Form
        for name in type(value).model_fields:
            check_json(getattr(value, name), depth + 1)
        if value.model_extra:
            check_json(value.model_extra, depth + 1)
    return value


class Form(BaseModel):
    """Base of every request body: all fields, extras included, must be clean JSON."""

    @model_validator(mode="after")
    def _clean(self) -> Form:
        for name in type(self).model_fields:
            check_json(getattr(self, name))
        if self.model_extra:
            check_json(self.model_extra)
        return self


JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
CleanText = Annotated[str, AfterValidator(check_text)]

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
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128), AfterValidator(check_text)
]
ShortText = Annotated[str, StringConstraints(max_length=10_000)]
EmailText = Annotated[str, StringConstraints(min_length=1, max_length=320)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


def count_from_wire(value: Any) -> Any:
    """Open WebUI keeps some counts as text: "" is unset and "7" is 7."""
    if value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def blank_when_unset(value: int | None) -> int | str:
    return "" if value is None else value


# A count that is unset as "" on the wire and None in owlet (FOLDER_MAX_FILE_COUNT and kin).
WireCount = Annotated[
    Annotated[int, Field(ge=0)] | None,
    BeforeValidator(count_from_wire),
    PlainSerializer(blank_when_unset, return_type=int | str),
]
