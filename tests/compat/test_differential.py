"""owlet answers the differential sequence with Open WebUI 0.12.4's statuses and shapes.

The golden file was recorded from the real server (`python -m tests.compat.record`); this
replays the same sequence against a real `owlet serve` wired to the same fake upstream and
compares each answer's status and JSON shape. Deliberate differences live in `differences.py`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.compat.differences import DIFFERENCES
from tests.compat.record import GOLDEN, upstreams
from tests.compat.runner import Answer, play
from tests.compat.sequence import sequence
from tests.compat.shapes import differences
from tests.compat.socket_session import socket_shapes
from tests.gateway import owlet_process
from tests.support import Backend

MIN_STEPS = 150


def _compare(golden: dict[str, dict], answers: list[Answer]) -> tuple[int, list[str], list[str]]:
    matched, unexpected, stale = 0, [], []
    for answer in answers:
        want = golden[answer.name]
        lines = []
        if want["status"] != answer.status:
            lines.append(f"status {want['status']} != {answer.status}")
        lines += differences(want["shape"], answer.shape)
        if not lines:
            matched += 1
            if answer.name in DIFFERENCES:
                stale.append(answer.name)
        elif answer.name not in DIFFERENCES:
            unexpected.append(f"{answer.name}: " + "; ".join(lines[:12]))
    return matched, unexpected, stale


def test_same_answers_as_open_webui(backend: Backend, clean_db: object, tmp_path: Path) -> None:
    recorded = json.loads(GOLDEN.read_text())
    golden = {step["name"]: step for step in recorded["steps"]}
    steps = sequence()
    assert len(steps) >= MIN_STEPS
    assert [s.name for s in steps] == list(golden), "golden.json is out of date: re-record it"
    with upstreams() as (openai_up, ollama_up):
        env = {
            "OPENAI_API_BASE_URLS": openai_up.openai_url, "OPENAI_API_KEYS": "sk-fake",
            "ENABLE_OPENAI_API": "true", "OLLAMA_BASE_URLS": ollama_up.url,
            "ENABLE_OLLAMA_API": "true",
            "ENABLE_EVALUATION_ARENA_MODELS": "false", "MODELS_CACHE_TTL": "0",
            "ENABLE_SIGNUP": "true", "ENABLE_API_KEYS": "true",  # as peer.sh starts Open WebUI
        }  # fmt: skip
        with owlet_process(backend, tmp_path / "data", env) as base:
            answers = play(base, steps)
            events = asyncio.run(socket_shapes(base))
    matched, unexpected, stale = _compare(golden, answers)
    kinds, event_unexpected, event_stale = _compare_events(recorded["socket_events"], events)
    print(f"shape match: {matched}/{len(answers)} (listed differences: {len(DIFFERENCES)}); "
          f"Socket.IO event types: {kinds}/{len(recorded['socket_events'])}")  # fmt: skip
    unexpected += event_unexpected
    stale += event_stale
    assert not unexpected, "unlisted differences from Open WebUI:\n" + "\n".join(unexpected)
    assert not stale, f"listed as different but now the same (drop them): {stale}"


def _compare_events(
    golden: dict[str, Any], actual: dict[str, Any]
) -> tuple[int, list[str], list[str]]:
    """Per event `type`: the same `data` shape, named `socket <type>` in DIFFERENCES."""
    matched, unexpected, stale = 0, [], []
    for kind in list(golden) + [k for k in actual if k not in golden]:
        name = f"socket {kind}"
        if kind not in actual:
            lines = ["not sent"]
        elif kind not in golden:
            lines = ["sent, but Open WebUI does not"]
        else:
            lines = differences(golden[kind], actual[kind])
        if not lines:
            matched += 1
            if name in DIFFERENCES:
                stale.append(name)
        elif name not in DIFFERENCES:
            unexpected.append(f"{name}: " + "; ".join(lines[:12]))
    return matched, unexpected, stale
