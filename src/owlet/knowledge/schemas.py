"""Wire shapes of `/api/v1/knowledge` answers (reference §6.3), as Open WebUI 0.12.4 gives
them route by route: `files` listed after a file change, null where its client reads them
from `/files`, left out in lists; `write_access` where it says it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from owlet.access.schemas import GrantModel
from owlet.files.schemas import FileModel


class Person(BaseModel):
    """The owner shown beside a knowledge base or file."""

    id: str
    name: str
    role: str
    email: str


class KnowledgeFileMeta(BaseModel):
    """A file of a knowledge base as its record lists it (no text)."""

    id: str
    hash: str | None
    meta: dict[str, Any] | None
    created_at: int
    updated_at: int


class KnowledgeModel(BaseModel):
    id: str
    user_id: str
    name: str
    description: str
    meta: dict[str, Any] | None
    created_at: int
    updated_at: int
    access_grants: list[GrantModel]


class KnowledgeCreated(KnowledgeModel):
    """Create and reset: `files` null."""

    files: None


class KnowledgeDetail(KnowledgeCreated):
    """GET one: `files` null (the client reads `/files`), and whether the caller may change it."""

    write_access: bool


class KnowledgeWithFiles(KnowledgeModel):
    """After a change (update, access, file add/update/remove): its files listed."""

    files: list[KnowledgeFileMeta]
    write_access: bool


class KnowledgeListItem(KnowledgeModel):
    user: Person | None
    file_count: int
    write_access: bool


class KnowledgeListResponse(BaseModel):
    items: list[KnowledgeListItem]
    total: int


class KnowledgeFileItem(FileModel):
    """A file of `/{id}/files`: `data` is null unless `include_content`."""

    directory_id: str | None
    directory_path: str
    has_original: bool
    user: Person | None


class KnowledgeFilesResponse(BaseModel):
    items: list[KnowledgeFileItem]
    directories: list[dict[str, Any]]  # owlet's knowledge bases have no folders: always []
    breadcrumbs: list[dict[str, Any]]
    total: int


class KnowledgeFileSearchResponse(BaseModel):
    items: list[FileModel]
    directories: list[dict[str, Any]]
    breadcrumbs: list[dict[str, Any]]
    total: int
