"""Where file bytes live. Names are made by the server; the client's filename is metadata.

`Storage` is the seam (a local directory today; an S3-compatible store would implement the
same four calls). Writes stream to a temporary file and are renamed into place only when the
whole upload fit the size limit, so nothing half-written is ever visible.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio


class TooLarge(Exception):
    """The upload went past the size limit (nothing was kept)."""


@dataclass(frozen=True)
class Stored:
    key: str  # the server-made name, e.g. "3f2c….pdf"
    size: int
    sha256: str


class Storage(Protocol):
    async def save(
        self, chunks: AsyncIterator[bytes], suffix: str, max_bytes: int | None
    ) -> Stored: ...

    def local_path(self, key: str) -> Path: ...

    async def delete(self, key: str) -> None: ...

    async def delete_all(self) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def save(
        self, chunks: AsyncIterator[bytes], suffix: str, max_bytes: int | None
    ) -> Stored:
        await anyio.to_thread.run_sync(lambda: self.root.mkdir(parents=True, exist_ok=True))
        key = f"{uuid.uuid4().hex}{_safe_suffix(suffix)}"
        final = self.root / key
        partial = self.root / f".{key}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            async with await anyio.open_file(partial, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge()
                    digest.update(chunk)
                    await out.write(chunk)
            await anyio.to_thread.run_sync(os.replace, partial, final)
        except BaseException:
            await anyio.to_thread.run_sync(lambda: partial.unlink(missing_ok=True))
            raise
        return Stored(key, size, digest.hexdigest())

    def local_path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if path.parent != self.root.resolve():
            raise FileNotFoundError(key)  # keys are ours, but never leave the directory
        return path

    async def delete(self, key: str) -> None:
        path = self.local_path(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    async def delete_all(self) -> None:
        def wipe() -> None:
            if self.root.is_dir():
                for entry in self.root.iterdir():
                    if entry.is_file():
                        entry.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(wipe)


def _safe_suffix(suffix: str) -> str:
    """A short alphanumeric extension from the client's name, or none."""
    ext = suffix.lower().lstrip(".")
    return f".{ext}" if ext and len(ext) <= 10 and ext.isalnum() else ""
