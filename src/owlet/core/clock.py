"""Ids and clocks: every timestamp owlet stores is integer epoch seconds."""

from __future__ import annotations

import time
import uuid


def now() -> int:
    return int(time.time())


def new_id() -> str:
    return str(uuid.uuid4())


_VERSIONS = uuid.UUID("5b0c6f2e-0f38-4b7e-9a55-6f1f0a1e2d3c")


def version_id(object_id: str, updated_at: int) -> str:
    """The `version_id` Open WebUI 0.12.4 gives each saved version of a model or function.
    owlet keeps no version history, so it is derived from the object and when it was last
    saved: the same between saves, different after one."""
    return str(uuid.uuid5(_VERSIONS, f"{object_id}@{updated_at}"))
