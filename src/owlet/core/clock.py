"""Ids and clocks: every timestamp owlet stores is integer epoch seconds."""

from __future__ import annotations

import time
import uuid


def now() -> int:
    return int(time.time())


def new_id() -> str:
    return str(uuid.uuid4())
