"""The differences from Open WebUI 0.12.4 that owlet chose, by step name, each with its reason.

Every entry is mirrored in docs/compatibility.md. `test_differential.py` fails when a step
differs and is not listed here, and when a listed step no longer differs (the list stays exact).
"""

from __future__ import annotations

DIFFERENCES: dict[str, str] = {}
