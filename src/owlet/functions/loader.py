"""Loading a function's Python source into an isolated module (reference §7.1).

The source runs in a fresh module object of its own (never in sys.modules), in a worker
thread with a time limit, only when an admin saves it or a request first needs it; loaded
modules are cached by function id and update time. The type comes from the class the source
defines: `Pipe`, `Filter` or `Action`. The docstring's frontmatter (`title:`, `requirements:`,
…) is reported; requirements are never installed.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Any

import anyio

LOAD_SECONDS = 10.0
KINDS = (("Pipe", "pipe"), ("Filter", "filter"), ("Action", "action"))
_FRONTMATTER = re.compile(r'^\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\')', re.DOTALL)
_ID = re.compile(r"^[a-z0-9_]{1,128}$")


class LoadError(Exception):
    """The source cannot be used (the message is shown as `[ERROR: …]`)."""


@dataclass(frozen=True)
class Loaded:
    kind: str
    instance: Any
    module: types.ModuleType
    frontmatter: dict[str, str]


def valid_id(function_id: str) -> bool:
    return bool(_ID.match(function_id))


def frontmatter(content: str) -> dict[str, str]:
    """`key: value` lines of the module docstring."""
    match = _FRONTMATTER.match(content)
    found: dict[str, str] = {}
    for line in (match.group(1) if match else "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            found[key.strip().lower()] = value.strip()
    return found


def _load(function_id: str, content: str) -> Loaded:
    module = types.ModuleType(f"owlet_function_{function_id}")
    module.__dict__["__file__"] = f"<function {function_id}>"
    try:
        code = compile(content, f"<function {function_id}>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - admin-authored plugin code, by design
        for class_name, kind in KINDS:
            cls = module.__dict__.get(class_name)
            if isinstance(cls, type):
                return Loaded(kind, cls(), module, frontmatter(content))
    except Exception as exc:
        raise LoadError(f"{type(exc).__name__}: {exc}") from exc
    raise LoadError("The source defines no Pipe, Filter or Action class")


async def load(function_id: str, content: str) -> Loaded:
    """Run the source in a worker thread; a module that takes too long is refused (its
    thread is abandoned, not waited for)."""
    try:
        with anyio.fail_after(LOAD_SECONDS):
            return await anyio.to_thread.run_sync(
                _load, function_id, content, abandon_on_cancel=True
            )
    except TimeoutError:
        raise LoadError(f"Loading took longer than {LOAD_SECONDS:g} s") from None


@dataclass(frozen=True)
class ActiveRow:
    """What the runtime needs of an active function's row (no ORM object kept)."""

    id: str
    name: str
    updated_at: int
    created_at: int
    content: str
    meta: dict[str, Any]
    valves: dict[str, Any]
    is_global: bool


class Cache:
    """Loaded modules by function id, valid while the function's `updated_at` is unchanged;
    and the active functions by type, read at most once a second (dropped on every change
    made through this process)."""

    def __init__(self, ttl: float = 1.0) -> None:
        self._entries: dict[str, tuple[int, Loaded]] = {}
        self.ttl = ttl
        self._active: dict[str, tuple[float, list[ActiveRow]]] = {}

    def active(self, kind: str) -> list[ActiveRow] | None:
        """The active functions of a type, if read less than `ttl` seconds ago."""
        import time

        entry = self._active.get(kind)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def keep_active(self, kind: str, rows: list[ActiveRow]) -> None:
        import time

        self._active[kind] = (time.monotonic(), rows)

    async def get(self, function_id: str, updated_at: int, content: str) -> Loaded:
        entry = self._entries.get(function_id)
        if entry is not None and entry[0] == updated_at:
            return entry[1]
        loaded = await load(function_id, content)
        self._entries[function_id] = (updated_at, loaded)
        return loaded

    def forget(self, function_id: str | None = None) -> None:
        """Drop a changed function (or, with no id, everything) and the active-filter list."""
        if function_id is None:
            self._entries.clear()
        else:
            self._entries.pop(function_id, None)
        self._active.clear()


def valves_schema(instance: Any, name: str = "Valves") -> dict[str, Any] | None:
    cls = getattr(instance, name, None)
    schema = getattr(cls, "model_json_schema", None)
    return schema() if callable(schema) else None


def make_valves(instance: Any, values: dict[str, Any], name: str = "Valves") -> dict[str, Any]:
    """The values validated by the plugin's own pydantic class (ValueError when invalid)."""
    cls = getattr(instance, name, None)
    if cls is None or not callable(getattr(cls, "model_validate", None)):
        return {}
    try:
        model = cls.model_validate(values)
    except Exception as exc:
        raise ValueError(str(exc)) from exc
    dumped: dict[str, Any] = model.model_dump()
    return dumped
