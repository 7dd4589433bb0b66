"""Every call the pinned web client makes is answered by a route of owlet's, or is a gap
listed in `tests/web/client_gaps.py` with its reason."""

from __future__ import annotations

import re

from owlet.app import create_app
from owlet.settings import Settings
from tests.web.browser import BUILD, require_browser
from tests.web.client_calls import client_calls
from tests.web.client_gaps import FEATURES, listed


def _routes(settings: Settings) -> list[tuple[str, re.Pattern[str]]]:
    spec = create_app(settings).openapi()
    routes = []
    for path, operations in spec["paths"].items():
        pattern = re.escape(path.rstrip("/"))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes += [(method.upper(), re.compile(f"^{pattern}/?$")) for method in operations]
    return routes


def test_the_web_clients_calls_are_answered_or_listed(tmp_path: object) -> None:
    require_browser()  # the fetched web client (a failure in CI, a skip elsewhere)
    calls = client_calls(BUILD)
    assert len(calls) > 300, "the client's API modules were not found in its source maps"
    routes = _routes(Settings(env="dev", data_dir=str(tmp_path)))

    def answered(method: str, path: str) -> bool:
        return any(m == method and p.match(path) for m, p in routes)

    missing = {c for c in calls if not answered(*c)}
    in_features = {c for c in missing if c[1].startswith(tuple(FEATURES))}
    unlisted = sorted(missing - in_features - listed())
    assert not unlisted, f"the web client calls these and owlet answers none: {unlisted}"
    now_answered = sorted(listed() - missing)
    assert not now_answered, f"answered now, strike from client_gaps.py: {now_answered}"
    built = sorted(f for f in FEATURES if not any(c[1].startswith(f) for c in in_features))
    assert not built, f"no call of these is missing any more: {built}"
