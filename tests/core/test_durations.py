from __future__ import annotations

import logging

import pytest

from owlet.core.durations import parse_duration
from owlet.settings import Settings


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("4w", 2419200), ("1h30m", 5400), ("90s", 90), ("500ms", 0.5), ("1d2h", 93600),
     ("-1", None), ("0", None)],
)  # fmt: skip
def test_valid(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "4", "h1", "1h 30m", "-5m", "1y"])
def test_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_never_expiring_tokens_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        Settings(jwt_expires_in="-1")
    assert "never expire" in caplog.text
