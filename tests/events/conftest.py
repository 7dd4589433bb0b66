"""Fixtures of the event webhook tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver on loopback (tests/fakes/receiver.py)."""
    with Receiver() as up:
        yield up
