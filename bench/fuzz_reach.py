"""How far schemathesis got into owlet's routes: of the documented operations, how many
answered at least one fuzzed request with a 2xx, overall and among those with path
parameters (which need the seeded ids of tests/seeded.py to get past the lookup).

    .venv/bin/python -m pytest tests/test_schemathesis.py -k sqlite --basetemp=/tmp/fuzz
    .venv/bin/python bench/fuzz_reach.py /tmp/fuzz

It reads every `run.json` schemathesis wrote below the folder (its `valid_rates`).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(folder: Path) -> None:
    accepted: Counter[str] = Counter()
    seen: set[str] = set()
    for report in folder.rglob("run.json"):
        for label, phases in json.loads(report.read_text())["valid_rates"].items():
            seen.add(label)
            accepted[label] += sum(rates.get("accepted", 0) for rates in phases.values())
    with_path = {label for label in seen if "{" in label}
    reached = {label for label in seen if accepted[label]}
    print(f"operations with a rate: {len(seen)}; answered 2xx: {len(reached)}")
    print(f"with path parameters: {len(with_path)}; answered 2xx: {len(with_path & reached)}")
    print("never 2xx:")
    for label in sorted(seen - reached):
        print(f"  {label}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
