"""Re-record `golden.json` from the real Open WebUI 0.12.4 (`../shared/peer/peer.sh`).

    .venv/bin/python -m tests.compat.record [--peer PATH/peer.sh] [--port 18080]

Starts the fake upstream, starts the peer on a fresh data directory pointed at it, plays the
sequence and the Socket.IO session, writes each step's status and shape and each event
type's shape, and stops both. Only shapes are kept: no
values, so the file holds nothing from Open WebUI but field names and types.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.compat.runner import play
from tests.compat.sequence import sequence
from tests.compat.socket_session import socket_shapes
from tests.fakes.upstream import FakeUpstream

OPENAI_MODELS = ["fake-gpt"]
OLLAMA_MODELS = ["fake-llama:latest"]


@contextmanager
def upstreams() -> Iterator[tuple[FakeUpstream, FakeUpstream]]:
    """An OpenAI-compatible and an Ollama fake, each with its own model, so that which
    connection serves a model is never ambiguous."""
    with (
        FakeUpstream(models=OPENAI_MODELS) as openai_up,
        FakeUpstream(models=OLLAMA_MODELS) as ollama_up,
    ):
        yield openai_up, ollama_up


HERE = Path(__file__).parent
GOLDEN = HERE / "golden.json"
DEFAULT_PEER = HERE.parents[2] / "shared" / "peer" / "peer.sh"
PEER_VERSION = "0.12.4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args()
    with upstreams() as (openai_up, ollama_up):
        env = {**os.environ, "UPSTREAM_URL": openai_up.url,
               "PEER_ENV": f"OLLAMA_BASE_URL={ollama_up.url}"}  # fmt: skip
        subprocess.run(["bash", str(args.peer), "start", str(args.port)], env=env, check=True)
        base = f"http://127.0.0.1:{args.port}"
        try:
            answers = play(base, sequence())
            events = asyncio.run(socket_shapes(base))
        finally:
            subprocess.run(["bash", str(args.peer), "stop"], env=env, check=False)
    golden = {
        "peer": f"Open WebUI {PEER_VERSION}",
        "steps": [a.as_json() for a in answers],
        "socket_events": events,
    }
    args.out.write_text(json.dumps(golden, indent=1, sort_keys=False) + "\n")
    print(f"recorded {len(answers)} steps and {len(events)} event types into {args.out}")


if __name__ == "__main__":
    main()
