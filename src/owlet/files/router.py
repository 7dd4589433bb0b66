"""`/api/v1/files/*` (reference §6.2). Static paths come before `/{file_id}`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import Field

from owlet.container import Container
from owlet.core.headers import user_content_headers
from owlet.core.paging import page_window
from owlet.core.streams import SSE_MEDIA_TYPE, STREAM_HEADERS, sse_data
from owlet.core.validation import CleanText, Identifier
from owlet.core.validation import Form as Body
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep, VerifiedUser
from owlet.errors import NotFound
from owlet.files.processing import TERMINAL
from owlet.files.schemas import (
    FileContentResponse,
    FileListResponse,
    FileMessage,
    FileModel,
    FileStatusResponse,
    FileUploadResponse,
    FileWithPath,
)
from owlet.files.service import PAGE_SIZE, FileService, parse_metadata, present
from owlet.tables import File as FileRow
from owlet.tables import User

router = APIRouter(prefix="/api/v1/files", tags=["files"])
STATUS_POLL_SECONDS = 1.0
STATUS_STREAM_LIMIT = 2 * 3600  # seconds, as Open WebUI
INLINE_TYPES = {"application/pdf", "text/plain", "image/png", "image/jpeg", "image/gif",
                "image/webp"}  # fmt: skip
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_TEXT = {"schema": {"type": "string"}}
# The download routes answer the stored bytes under the file's own content type.
BYTES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file's bytes", "content": {"application/octet-stream": _BINARY}}
}
HTML: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file's bytes as HTML", "content": {"text/html": _TEXT}}
}
BYTES_OR_TEXT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes, or the text of a file that has none",
        "content": {"application/octet-stream": _BINARY, "text/plain": _TEXT},
    }
}


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> FileService:
    return FileService(session, container, config)


Service = Annotated[FileService, Depends(get_service)]


class ContentForm(Body):
    content: Annotated[CleanText, Field(max_length=50_000_000)]


class RenameForm(Body):
    filename: Annotated[CleanText, Field(min_length=1, max_length=255)]


@router.post("/", responses={200: {"model": FileUploadResponse}})  # `status` only if processed
async def upload_file(
    user: VerifiedUser,
    service: Service,
    file: Annotated[UploadFile, File()],
    metadata: Annotated[str | None, Form(max_length=100_000)] = None,
    process: bool = True,
    process_in_background: bool = True,
) -> Any:
    return await service.upload(
        user, file, parse_metadata(metadata), process, process_in_background
    )


@router.get("/", response_model=FileListResponse)
async def list_files(
    user: VerifiedUser,
    service: Service,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    skip: Annotated[int | None, Query(ge=0, le=10**9)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    content: bool = True,
) -> Any:
    return await service.list_files(user, page_window(page, skip, limit, PAGE_SIZE), content)


@router.get("/search", response_model=list[FileModel])
async def search_files(
    user: VerifiedUser,
    service: Service,
    filename: Annotated[CleanText, Query(min_length=1, max_length=255)],
    content: bool = True,
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    return await service.search(user, filename, content, skip, limit)


@router.get("/count", response_model=int)
async def count_files(user: VerifiedUser, service: Service) -> int:
    return await service.count(user)


@router.delete("/all", response_model=FileMessage)
async def delete_all_files(_admin: AdminUser, service: Service) -> Any:
    return await service.delete_all()


@router.get("/{file_id}", response_model=FileWithPath)
async def get_file(file_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return present(await service.readable(user, file_id), path=True)


@router.get(
    "/{file_id}/process/status",
    response_model=FileStatusResponse,
    responses={200: {"content": {SSE_MEDIA_TYPE: {}}}},  # with `stream=true`: events
)
async def process_status(
    file_id: Identifier,
    user: VerifiedUser,
    service: Service,
    container: ContainerDep,
    stream: bool = False,
) -> Any:
    row = await service.readable(user, file_id)
    if not stream:
        return {"status": row.data.get("status") or "pending"}
    await service.session.commit()  # the stream polls with short sessions of its own
    return StreamingResponse(
        _status_events(container, file_id), media_type=SSE_MEDIA_TYPE, headers=STREAM_HEADERS
    )


async def _status_events(container: Container, file_id: str) -> AsyncIterator[bytes]:
    """`data: {"status": …}` about once a second until `completed` or `failed`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STATUS_STREAM_LIMIT
    last = None
    while loop.time() < deadline:
        async with container.sessionmaker() as session:
            row = await session.get(FileRow, file_id)
            data = dict(row.data) if row is not None else None
        if data is None:
            yield sse_data({"status": "not_found"})
            return
        status = data.get("status")
        if status is None:
            return  # a file that is not processed
        event = {"status": status}
        if status == "failed":
            event["error"] = data.get("error", "")
        if event != last:
            yield sse_data(event)
            last = event
        if status in TERMINAL:
            return
        await asyncio.sleep(STATUS_POLL_SECONDS)


@router.get("/{file_id}/data/content", response_model=FileContentResponse)
async def file_text(file_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    row = await service.readable(user, file_id)
    return {"content": row.data.get("content", "")}


@router.post("/{file_id}/data/content/update", response_model=FileContentResponse)
async def update_file_text(
    file_id: Identifier, form: ContentForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update_content(user, file_id, form.content)


@router.get("/{file_id}/content", response_class=FileResponse, responses=BYTES)
async def file_content(
    file_id: Identifier, user: VerifiedUser, service: Service, attachment: bool = False
) -> Response:
    row = await service.readable(user, file_id)
    return _download(service, row, force_attachment=attachment)


@router.get("/{file_id}/content/html", response_class=FileResponse, responses=HTML)
async def file_content_html(file_id: Identifier, user: VerifiedUser, service: Service) -> Response:
    """The raw bytes as HTML, only for files an admin uploaded (sandboxed by CSP)."""
    row = await service.readable(user, file_id)
    owner = await service.session.get(User, row.user_id)
    if owner is None or owner.role != "admin" or row.path is None:
        raise NotFound()
    path = service.storage.local_path(row.path)
    if not path.is_file():
        raise NotFound()
    headers = {"X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "sandbox; frame-ancestors 'self'"}  # fmt: skip
    return FileResponse(path, media_type="text/html", headers=headers)


@router.get("/{file_id}/content/{file_name}", response_class=FileResponse, responses=BYTES_OR_TEXT)
async def file_content_named(
    file_id: Identifier, file_name: str, user: VerifiedUser, service: Service
) -> Response:
    row = await service.readable(user, file_id)
    if row.path is None:
        text = str(row.data.get("content", ""))
        return PlainTextResponse(text, headers=user_content_headers("text/plain"))
    return _download(service, row, force_attachment=True)


def _download(service: FileService, row: FileRow, force_attachment: bool) -> Response:
    if row.path is None:
        raise NotFound()
    path = service.storage.local_path(row.path)
    if not path.is_file():
        raise NotFound()
    media_type = str(row.meta.get("content_type") or "application/octet-stream")
    headers = user_content_headers(media_type)
    name = quote(str(row.meta.get("name") or row.filename))
    if force_attachment or media_type not in INLINE_TYPES:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    elif media_type != "text/plain":
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{name}"
    return FileResponse(path, media_type=media_type, headers=headers)


@router.post("/{file_id}/rename", response_model=FileWithPath)
async def rename_file(
    file_id: Identifier, form: RenameForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.rename(user, file_id, form.filename)


@router.delete("/{file_id}", response_model=FileMessage)
async def delete_file(file_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.delete(user, file_id)
