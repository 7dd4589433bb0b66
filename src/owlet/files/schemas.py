"""Wire shapes of `/api/v1/files` answers (reference §6.2), as `service.present` builds them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FileModel(BaseModel):
    """A file as lists and searches show it (`data.content` left out with `content=false`)."""

    id: str
    user_id: str
    hash: str | None
    filename: str
    data: dict[str, Any] | None  # {status, content, error}
    meta: dict[str, Any] | None  # {name, content_type, size, file_hash, data, collection_name}
    created_at: int
    updated_at: int


class FileWithPath(FileModel):
    """One file (get, rename): also its storage key (null for a text-only file)."""

    path: str | None


class FileUploadResponse(FileWithPath):
    """An upload: with `process` (the default) also `status: true`."""

    status: bool | None = None


class FileListResponse(BaseModel):
    items: list[FileModel]
    total: int


class FileStatusResponse(BaseModel):
    """`/process/status` without `stream` (with it: SSE of `{status[, error]}`)."""

    status: str


class FileContentResponse(BaseModel):
    content: str


class FileMessage(BaseModel):
    message: str
