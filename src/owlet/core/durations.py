"""Parsing of Open WebUI duration strings such as `4w`, `1h30m` or `-1` (never)."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: str) -> float | None:
    """Seconds for a duration string; None means "never expires" (`-1` or `0`).

    Raises ValueError for anything else that does not parse.
    """
    text = value.strip()
    if text in ("-1", "0"):
        return None
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text or total <= 0:
        raise ValueError(
            f"invalid duration {value!r}: use <number><ms|s|m|h|d|w>..., e.g. 4w or 1h30m, or -1"
        )
    return total


MIN_LIFETIME_SECONDS = 1
MAX_LIFETIME_SECONDS = 10 * 365 * 86400


def parse_lifetime(value: str) -> float | None:
    """A token lifetime: a duration between 1 s and 10 years, or None (never expires)."""
    seconds = parse_duration(value)
    if seconds is not None and not MIN_LIFETIME_SECONDS <= seconds <= MAX_LIFETIME_SECONDS:
        raise ValueError(f"invalid duration {value!r}: must be between 1s and 520w, or -1")
    return seconds
