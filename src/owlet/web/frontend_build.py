"""The Open WebUI web client owlet serves: the built `frontend/` folder of a pinned PyPI
wheel, fetched once with pip (`--no-deps`, hash-checked) and unpacked; no Open WebUI Python
code is installed or run. `owlet fetch-frontend` (run by `make run`) does it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "0.12.4"
WHEEL = f"open_webui-{VERSION}-py3-none-any.whl"
SHA256 = "02e9caba96234db3fa17a92e56163b3f7f2b8ca8227fa886b85c178d696483f6"
PREFIX = "open_webui/frontend/"
DEFAULT_DIR = Path(".frontend") / f"open-webui-{VERSION}"
MARK = ".owlet-fetched"  # written last: a folder without it is incomplete


class FetchError(RuntimeError):
    pass


def is_built(folder: Path) -> bool:
    return (folder / MARK).is_file() and (folder / "index.html").is_file()


def fetch(dest: Path = DEFAULT_DIR) -> Path:
    """The unpacked web client at `dest` (fetched unless it is already there)."""
    if is_built(dest):
        return dest
    with tempfile.TemporaryDirectory(prefix="owlet-frontend-") as tmp:
        requirement = Path(tmp) / "frontend.txt"
        requirement.write_text(f"open-webui=={VERSION} --hash=sha256:{SHA256}\n")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes",
                   "--only-binary=:all:", "-q", "-d", tmp, "-r", str(requirement)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        wheel = Path(tmp) / WHEEL
        if done.returncode != 0 or not wheel.is_file():
            raise FetchError(f"pip could not fetch open-webui=={VERSION}: {done.stderr[-500:]}")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            raise FetchError(f"{WHEEL} has sha256 {digest}, expected {SHA256}")
        _unpack(wheel, dest)
    return dest


def _unpack(wheel: Path, dest: Path) -> None:
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if not info.filename.startswith(PREFIX) or info.is_dir():
                continue
            relative = Path(info.filename[len(PREFIX) :])
            if relative.is_absolute() or ".." in relative.parts:
                raise FetchError(f"unsafe path in {WHEEL}: {info.filename}")
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
    (staging / MARK).write_text(f"open-webui {VERSION} sha256:{SHA256}\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
