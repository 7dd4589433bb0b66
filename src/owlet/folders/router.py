"""`/api/v1/folders/*` (reference §4.3); every route first checks that folders are on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from owlet.core.validation import Identifier
from owlet.deps import ConfigDep, ContainerDep, SessionDep, VerifiedUser
from owlet.folders.schemas import (
    FolderAccessForm,
    FolderAccessModel,
    FolderDetail,
    FolderExpandedForm,
    FolderForm,
    FolderListItem,
    FolderModel,
    FolderParentForm,
    FolderReadResponse,
    FolderUpdateForm,
    SharedFolder,
    SharedFolderChat,
)
from owlet.folders.service import FolderService

router = APIRouter(prefix="/api/v1/folders", tags=["folders"])


async def get_service(
    user: VerifiedUser, session: SessionDep, container: ContainerDep, config: ConfigDep
) -> FolderService:
    service = FolderService(session, container, config)
    await service.require_enabled(user)
    return service


Service = Annotated[FolderService, Depends(get_service)]


@router.get("/", response_model=list[FolderListItem])
async def list_folders(user: VerifiedUser, service: Service) -> Any:
    return await service.list_own(user)


@router.post("/", response_model=FolderModel)
async def create_folder(form: FolderForm, user: VerifiedUser, service: Service) -> Any:
    return await service.create(user, form)


@router.get("/shared", response_model=list[SharedFolder])
async def shared_folders(user: VerifiedUser, service: Service) -> Any:
    return await service.shared(user)


@router.get("/{folder_id}", response_model=FolderDetail)
async def get_folder(folder_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.detail(user, await service.readable(user, folder_id))


@router.post("/{folder_id}/update", response_model=FolderModel)
async def update_folder(
    folder_id: Identifier, form: FolderUpdateForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update(user, folder_id, form)


@router.post("/{folder_id}/update/parent", response_model=FolderModel)
async def move_folder(
    folder_id: Identifier, form: FolderParentForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.move(user, folder_id, form.parent_id)


@router.post("/{folder_id}/update/expanded", response_model=FolderModel)
async def expand_folder(
    folder_id: Identifier, form: FolderExpandedForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.set_expanded(user, folder_id, form.is_expanded)


@router.post("/{folder_id}/access/update", response_model=FolderAccessModel)
async def update_folder_access(
    folder_id: Identifier, form: FolderAccessForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update_access(user, folder_id, form.access_grants)


@router.get("/{folder_id}/shared/chats", response_model=list[SharedFolderChat])
async def shared_folder_chats(folder_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.shared_chats(user, folder_id)


@router.post("/{folder_id}/read", response_model=FolderReadResponse)
async def mark_folder_read(folder_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.mark_read(user, folder_id)


@router.delete("/{folder_id}", response_model=bool)
async def delete_folder(
    folder_id: Identifier, user: VerifiedUser, service: Service, delete_contents: bool = True
) -> bool:
    return await service.delete(user, folder_id, delete_contents)
