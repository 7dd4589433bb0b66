"""Play the differential sequence against one server and reduce every answer to its shape.

The same code talks to Open WebUI (when recording the golden file) and to owlet (in the
test): a `Step` names a request; values an earlier answer produced (ids, tokens, keys, whole
objects) are kept in a context and substituted where a step writes `{name}`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.compat.shapes import Shape, shape

Who = str  # "admin" | "user" | "admin_key" | "user_key" | "anon" | "bad"
_VAR = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass
class Step:
    name: str
    method: str
    path: str
    who: Who = "admin"
    body: Any = None
    params: dict[str, Any] | None = None
    upload: tuple[str, bytes, str] | None = None
    save: dict[str, str] = field(default_factory=dict)
    until: tuple[str, Any] | None = None  # poll until the dotted path has this value
    transform: Callable[[Any], Any] | None = None  # applied to the body after substitution


@dataclass
class Answer:
    name: str
    status: int
    shape: Shape

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "shape": self.shape}


def dig(value: Any, path: str) -> Any:
    """`data.0.id` style look-up; the empty path is the value itself."""
    for part in path.split(".") if path else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def substitute(value: Any, ctx: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole:
            return ctx[whole.group(1)]
        return _VAR.sub(lambda m: str(ctx[m.group(1)]), value)
    if isinstance(value, list):
        return [substitute(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, ctx) for k, v in value.items()}
    return value


def decode(response: httpx.Response) -> tuple[Any, Shape]:
    """(the JSON value or None, the body's shape) for JSON, SSE, NDJSON and anything else."""
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    text = response.text
    if kind == "text/event-stream":
        frames = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        return None, {"<sse>": _frames(frames)}
    if kind in ("application/x-ndjson", "application/jsonl"):
        return None, {"<ndjson>": _frames([line for line in text.splitlines() if line.strip()])}
    try:
        value = json.loads(text)
    except ValueError:
        return None, {"<body>": kind or "none"}
    return value, shape(value)


def _frames(lines: list[str]) -> Shape:
    values: list[Any] = []
    for line in lines:
        try:
            values.append(json.loads(line))
        except ValueError:
            values.append(f"<raw {line[:20]}>")
    return shape(values)


class Runner:
    """Runs steps in order against `base`, keeping what they produced in `ctx`."""

    def __init__(self, base: str, *, poll_seconds: float = 60.0) -> None:
        self.client = httpx.Client(base_url=base, timeout=60.0)
        self.ctx: dict[str, Any] = {}
        self.poll_seconds = poll_seconds

    def close(self) -> None:
        self.client.close()

    def headers(self, who: Who) -> dict[str, str]:
        token = {
            "admin": "admin_token",
            "user": "user_token",
            "admin_key": "admin_key",
            "user_key": "user_key",
        }.get(who)
        if who == "bad":
            return {"Authorization": "Bearer not-a-token"}
        if token is None:
            return {}
        return {"Authorization": f"Bearer {self.ctx[token]}"}

    def run(self, step: Step) -> Answer:
        deadline = time.monotonic() + self.poll_seconds
        while True:
            try:
                response = self._send(step)
            except httpx.TransportError as exc:  # a dropped connection is an answer too
                return Answer(step.name, 0, {"<transport>": type(exc).__name__})
            value, body_shape = decode(response)
            if step.until is None or time.monotonic() > deadline:
                break
            path, wanted = step.until
            try:
                if dig(value, path) == wanted:
                    break
            except (KeyError, IndexError, TypeError, ValueError):
                pass
            time.sleep(0.25)
        for var, path in step.save.items():
            try:
                self.ctx[var] = dig(value, path)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                raise AssertionError(
                    f"{step.name}: cannot save {var} from {path!r} in {response.status_code} "
                    f"{response.text[:300]}"
                ) from exc
        return Answer(step.name, response.status_code, body_shape)

    def _send(self, step: Step) -> httpx.Response:
        path = substitute(step.path, self.ctx)
        kwargs: dict[str, Any] = {"headers": self.headers(step.who)}
        if step.params is not None:
            kwargs["params"] = substitute(step.params, self.ctx)
        if step.upload is not None:
            kwargs["files"] = {"file": step.upload}
        elif step.body is not None:
            body = substitute(step.body, self.ctx)
            kwargs["json"] = step.transform(body) if step.transform else body
        return self.client.request(step.method, path, **kwargs)


def play(base: str, steps: list[Step]) -> list[Answer]:
    runner = Runner(base)
    try:
        return [runner.run(step) for step in steps]
    finally:
        runner.close()
