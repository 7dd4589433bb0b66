"""JSON shapes: what a client reading fields depends on (key sets and value types), not values.

A shape is plain JSON so golden files stay readable: a scalar becomes its type name
(`"str"`, `"number"`, `"bool"`, `"null"`), a list becomes `["list", <merged item shape>]`
(`["list"]` when empty), an object becomes a dict of its keys' shapes. Keys that are
ids (UUIDs, hex digests, bare numbers, version numbers) are folded into one `"<id>"` key so
two servers that made different ids still agree. Where items of one list differ, their
shapes merge: objects by the union of their keys, scalars into a sorted `"a|b"` alternative.
"""

from __future__ import annotations

import re
from typing import Any

Shape = Any

_ID_KEY = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,64}|\d+"
    r"|\d+\.\d+\.\d+)$"
)
ID = "<id>"


def shape(value: Any) -> Shape:
    """The shape of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        if not value:
            return ["list"]
        merged = shape(value[0])
        for item in value[1:]:
            merged = merge(merged, shape(item))
        return ["list", merged]
    if isinstance(value, dict):
        out: dict[str, Shape] = {}
        for key, item in value.items():
            name = ID if _ID_KEY.match(str(key)) else str(key)
            out[name] = merge(out[name], shape(item)) if name in out else shape(item)
        return out
    return type(value).__name__


def merge(a: Shape, b: Shape) -> Shape:
    """One shape that covers both."""
    if a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(a) + [k for k in b if k not in a]
        return {k: merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in keys}
    if isinstance(a, list) and isinstance(b, list):
        if len(a) == 1:
            return b
        if len(b) == 1:
            return a
        return ["list", merge(a[1], b[1])]
    if isinstance(a, str) and isinstance(b, str):
        return "|".join(sorted(set(a.split("|")) | set(b.split("|"))))
    # An object or list beside a scalar (e.g. null): keep the structured one, note the scalar.
    structured, scalar = (a, b) if isinstance(a, dict | list) else (b, a)
    return {"<or>": scalar, "<shape>": structured} if isinstance(scalar, str) else structured


def differences(expected: Shape, actual: Shape, path: str = "$") -> list[str]:
    """Where two shapes part, as readable lines (`$.a.b: str != number`, `$.c: missing`)."""
    if expected == actual:
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in expected:
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out.extend(differences(expected[key], actual[key], f"{path}.{key}"))
        out.extend(f"{path}.{key}: extra" for key in actual if key not in expected)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) == 2 and len(actual) == 2:
            return differences(expected[1], actual[1], f"{path}[]")
        return [f"{path}: {_brief(expected)} != {_brief(actual)}"]
    return [f"{path}: {_brief(expected)} != {_brief(actual)}"]


def _brief(value: Shape) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "[]" if len(value) == 1 else "list"
    return str(value)
