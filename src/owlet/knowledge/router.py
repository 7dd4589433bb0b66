"""`/api/v1/knowledge/*` (reference §6.3; directories, sync and external sources not yet)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import Field

from owlet.access.schemas import GrantForm
from owlet.core.validation import CleanText, Form, Identifier
from owlet.deps import ConfigDep, ContainerDep, SessionDep, VerifiedUser
from owlet.files.schemas import FileModel
from owlet.files.service import present as present_file
from owlet.knowledge.schemas import (
    KnowledgeCreated,
    KnowledgeDetail,
    KnowledgeFileSearchResponse,
    KnowledgeFilesResponse,
    KnowledgeListResponse,
    KnowledgeWithFiles,
)
from owlet.knowledge.service import PAGE_SIZE, KnowledgeService

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> KnowledgeService:
    return KnowledgeService(session, container, config)


Service = Annotated[KnowledgeService, Depends(get_service)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]


class KnowledgeForm(Form):
    name: Annotated[CleanText, Field(min_length=1, max_length=255)]
    description: Annotated[CleanText, Field(max_length=10_000)] = ""
    access_grants: list[GrantForm] | None = Field(default=None, max_length=1000)


class AccessForm(Form):
    access_grants: list[GrantForm] = Field(default_factory=list, max_length=1000)


class FileIdForm(Form):
    file_id: Identifier
    directory_id: Identifier | None = None


@router.get("/", response_model=KnowledgeListResponse)
async def list_knowledge(user: VerifiedUser, service: Service, page: Page = 1) -> Any:
    return await service.list_readable(user, None, (page - 1) * PAGE_SIZE, PAGE_SIZE)


@router.get("/search", response_model=KnowledgeListResponse)
async def search_knowledge(
    user: VerifiedUser,
    service: Service,
    query: Annotated[CleanText | None, Query(max_length=500)] = None,
    page: Page = 1,
) -> Any:
    return await service.list_readable(user, query, (page - 1) * PAGE_SIZE, PAGE_SIZE)


@router.get("/search/files", response_model=KnowledgeFileSearchResponse)
async def search_knowledge_files(
    user: VerifiedUser,
    service: Service,
    query: Annotated[CleanText | None, Query(max_length=500)] = None,
    include_content: bool = False,
    page: Page = 1,
) -> Any:
    """Files of every knowledge base the caller may read, by name (the model editor's picker)."""
    files = await service.readable_files(user, query)
    window = files[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "items": [present_file(f, content=include_content) for f in window],
        "directories": [],
        "breadcrumbs": [],
        "total": len(files),
    }


@router.post("/create", response_model=KnowledgeCreated)
async def create_knowledge(form: KnowledgeForm, user: VerifiedUser, service: Service) -> Any:
    return await service.create(user, form.name, form.description, form.access_grants or [])


@router.get("/{knowledge_id}", response_model=KnowledgeDetail)
async def get_knowledge(knowledge_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.present(user, await service.readable(user, knowledge_id), files="null")


@router.post("/{knowledge_id}/update", response_model=KnowledgeWithFiles)
async def update_knowledge(
    knowledge_id: Identifier, form: KnowledgeForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update(user, knowledge_id, form.name, form.description, form.access_grants)


@router.post("/{knowledge_id}/access/update", response_model=KnowledgeWithFiles)
async def update_knowledge_access(
    knowledge_id: Identifier, form: AccessForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update_access(user, knowledge_id, form.access_grants)


@router.get("/{knowledge_id}/files", response_model=KnowledgeFilesResponse)
async def knowledge_files(
    knowledge_id: Identifier,
    user: VerifiedUser,
    service: Service,
    include_content: bool = False,
    page: Page = 1,
) -> Any:
    kb = await service.readable(user, knowledge_id)
    files = list(await service.files_of(kb.id))
    window = files[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    owners = await service.people({f.user_id for f in window})
    return {
        "items": [
            {
                **present_file(f, content=include_content),
                "data": f.data if include_content else None,
                "directory_id": None,  # owlet's knowledge bases have no folders
                "directory_path": "",
                "has_original": bool(f.path),
                "user": owners.get(f.user_id),
            }
            for f in window
        ],
        "directories": [],
        "breadcrumbs": [],
        "total": len(files),
    }


@router.get("/{knowledge_id}/files/pending", response_model=list[FileModel])
async def pending_files(knowledge_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    """Files of the knowledge base still being processed, which the page polls for."""
    kb = await service.readable(user, knowledge_id)
    return [present_file(f, content=False) for f in await service.pending_files(kb.id)]


@router.post("/{knowledge_id}/file/add", response_model=KnowledgeWithFiles)
async def add_file(
    knowledge_id: Identifier, form: FileIdForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.add_files(user, knowledge_id, [form.file_id])


@router.post("/{knowledge_id}/files/batch/add", response_model=KnowledgeWithFiles)
async def add_files(
    knowledge_id: Identifier,
    user: VerifiedUser,
    service: Service,
    forms: Annotated[list[FileIdForm], Body(max_length=1000)],
) -> Any:
    return await service.add_files(user, knowledge_id, [f.file_id for f in forms])


@router.post("/{knowledge_id}/file/update", response_model=KnowledgeWithFiles)
async def update_file(
    knowledge_id: Identifier, form: FileIdForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.refresh_file(user, knowledge_id, form.file_id)


@router.post("/{knowledge_id}/file/remove", response_model=KnowledgeWithFiles)
async def remove_file(
    knowledge_id: Identifier,
    form: FileIdForm,
    user: VerifiedUser,
    service: Service,
    delete_file: bool = True,
) -> Any:
    return await service.remove_file(user, knowledge_id, form.file_id, delete_file)


@router.post("/{knowledge_id}/reset", response_model=KnowledgeCreated)
async def reset_knowledge(knowledge_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.reset(user, knowledge_id)


@router.delete("/{knowledge_id}/delete", response_model=bool)
async def delete_knowledge(knowledge_id: Identifier, user: VerifiedUser, service: Service) -> bool:
    return await service.delete(user, knowledge_id)
