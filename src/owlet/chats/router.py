"""`/api/v1/chats/*` (reference §4.2). Static paths are declared before `/{id}`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import and_, func, select

from owlet.chats import repository as repo
from owlet.chats.insights import context_usage
from owlet.chats.schemas import (
    ChatForm,
    ChatImportForm,
    ChatResponse,
    ChatTitleIdResponse,
    ChatUpdateForm,
    ChatWithUsage,
    CloneForm,
    FolderIdForm,
    ForkForm,
    MessageContentForm,
    ShareAccessForm,
    SharedChatItem,
    ShareGrant,
    TagFilterForm,
    TagForm,
    TagModel,
)
from owlet.chats.search import search as search_chats
from owlet.chats.service import FOLDER_PAGE_SIZE, PAGE_SIZE
from owlet.chats.sharing import ChatSharing, export_lines
from owlet.core.paging import Page, page_window
from owlet.core.streams import NDJSON_MEDIA_TYPE
from owlet.core.validation import CleanText, Identifier
from owlet.deps import (
    AdminUser,
    ConfigDep,
    ContainerDep,
    OptionalUser,
    SessionDep,
    VerifiedUser,
)
from owlet.errors import Forbidden, Messages
from owlet.folders.service import subtree_ids
from owlet.tables import Chat

router = APIRouter(prefix="/api/v1/chats", tags=["chats"])


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> ChatSharing:
    return ChatSharing(session, container, config)


Service = Annotated[ChatSharing, Depends(get_service)]
Id = Identifier
MessageId = Annotated[CleanText, Path(min_length=1, max_length=256)]
SortBy = Literal["updated_at", "created_at", "title", "unread_updated_at"]
Direction = Literal["asc", "desc"]
Text = Annotated[CleanText | None, Query(max_length=500)]


def _window(size: int, all_without_page: bool = False) -> Any:
    async def window(
        page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        skip: Annotated[int | None, Query(ge=0, le=10**9)] = None,
        limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    ) -> Page:
        return page_window(page, skip, limit, size, all_without_page=all_without_page)

    return window


ListWindow = Annotated[Page, Depends(_window(PAGE_SIZE, all_without_page=True))]
PagedWindow = Annotated[Page, Depends(_window(PAGE_SIZE))]
FolderWindow = Annotated[Page, Depends(_window(FOLDER_PAGE_SIZE))]


@router.get("/", response_model=list[ChatTitleIdResponse])
@router.get("/list", response_model=list[ChatTitleIdResponse])
async def list_chats(
    user: VerifiedUser,
    service: Service,
    window: ListWindow,
    include_pinned: bool = False,
    include_folders: bool = False,
    sort_by: SortBy = "updated_at",
    sort_dir: Direction = "desc",
) -> Any:
    where = service.list_filter(
        user, include_pinned=include_pinned, include_folders=include_folders
    )
    return await service.titles(where, window, sort_by, sort_dir)


@router.post("/new", response_model=ChatResponse)
async def new_chat(form: ChatForm, user: VerifiedUser, service: Service) -> Any:
    return await service.create(user, form.chat, form.folder_id, form.variables)


@router.post("/import", response_model=list[ChatResponse])
async def import_chats(form: ChatImportForm, user: VerifiedUser, service: Service) -> Any:
    return await service.import_chats(user, form.chats)


@router.get("/search", response_model=list[ChatTitleIdResponse])
async def search(
    user: VerifiedUser,
    service: Service,
    window: PagedWindow,
    text: Annotated[CleanText, Query(min_length=1, max_length=1000)],
) -> Any:
    return await search_chats(service, user, text, window)


@router.get("/folder/{folder_id}", response_model=list[ChatResponse])
async def folder_chats(folder_id: Id, user: VerifiedUser, service: Service) -> Any:
    await service.own_folder(user, folder_id)
    ids = await subtree_ids(service.session, user.id, folder_id)
    stmt = select(Chat).where(Chat.user_id == user.id, Chat.folder_id.in_(ids))
    chats = (await service.session.scalars(stmt.order_by(Chat.updated_at.desc()))).all()
    return [await service.present(chat) for chat in chats]


@router.get("/folder/{folder_id}/list", response_model=list[ChatTitleIdResponse])
async def folder_chat_list(
    folder_id: Id,
    user: VerifiedUser,
    service: Service,
    window: FolderWindow,
    sort_by: SortBy = "unread_updated_at",
    sort_dir: Direction = "desc",
) -> Any:
    await service.own_folder(user, folder_id)
    where = and_(repo.live(user.id), Chat.folder_id == folder_id)
    return await service.titles(where, window, sort_by, sort_dir)


@router.get("/pinned", response_model=list[ChatTitleIdResponse])
async def pinned_chats(user: VerifiedUser, service: Service) -> Any:
    where = and_(repo.live(user.id), Chat.pinned.is_(True))
    return await service.titles(where, Page(0, None))


@router.get(
    "/all",
    response_class=StreamingResponse,
    responses={200: {"description": "One ChatResponse a line",
                     "content": {NDJSON_MEDIA_TYPE: {}}}},
)  # fmt: skip
async def export_all(user: VerifiedUser, container: ContainerDep) -> StreamingResponse:
    """Every chat of the caller, one ChatResponse per line, read in bounded batches."""
    lines = export_lines(container.sessionmaker, user.id)
    return StreamingResponse(lines, media_type=NDJSON_MEDIA_TYPE)


@router.get("/all/archived", response_model=list[ChatResponse])
async def all_archived(user: VerifiedUser, service: Service) -> Any:
    stmt = select(Chat).where(Chat.user_id == user.id, Chat.archived.is_(True))
    chats = (await service.session.scalars(stmt.order_by(Chat.updated_at.desc()))).all()
    return [await service.present(chat) for chat in chats]


@router.get("/all/tags", response_model=list[TagModel])
async def all_tags(user: VerifiedUser, service: Service) -> Any:
    return await repo.user_tags(service.session, user.id)


@router.get(
    "/all/db", response_class=StreamingResponse, responses={200: {"model": list[ChatResponse]}}
)
async def export_everything(
    _admin: AdminUser, service: Service, container: ContainerDep
) -> StreamingResponse:
    """Every user's chats as one JSON array, streamed in bounded batches."""
    await service.require_export_allowed(_admin)
    lines = export_lines(container.sessionmaker, None, array=True)
    return StreamingResponse(lines, media_type="application/json")


@router.get("/archived", response_model=list[ChatTitleIdResponse])
async def archived_chats(
    user: VerifiedUser,
    service: Service,
    window: PagedWindow,
    query: Text = None,
    order_by: SortBy = "updated_at",
    direction: Direction = "desc",
) -> Any:
    where = and_(Chat.user_id == user.id, Chat.archived.is_(True))
    if query:
        where = and_(where, repo.content_matches(query))
    return await service.titles(where, window, order_by, direction)


@router.get("/archived/count", response_model=int)
async def archived_count(user: VerifiedUser, service: Service) -> int:
    stmt = select(func.count()).where(Chat.user_id == user.id, Chat.archived.is_(True))
    return int(await service.session.scalar(stmt) or 0)


@router.post("/archive/all", response_model=bool)
async def archive_all(user: VerifiedUser, service: Service) -> bool:
    return await service.set_archived_all(user, True)


@router.post("/unarchive/all", response_model=bool)
async def unarchive_all(user: VerifiedUser, service: Service) -> bool:
    return await service.set_archived_all(user, False)


@router.delete("/share/all", response_model=bool)
async def unshare_all(user: VerifiedUser, service: Service) -> bool:
    return await service.unshare_all(user)


@router.get("/shared", response_model=list[SharedChatItem])
async def shared_chats(
    user: VerifiedUser,
    service: Service,
    window: PagedWindow,
    query: Text = None,
    direction: Direction = "desc",
) -> Any:
    return await service.shared_list(user, query, window, direction)


@router.get("/share/{share_id}", response_model=ChatResponse)
async def shared_chat(share_id: Id, user: OptionalUser, service: Service) -> Any:
    """Anonymous callers may read an open link; anyone else who may not gets 404."""
    return await service.shared_snapshot(user, share_id)


@router.post("/tags", response_model=list[ChatTitleIdResponse])
async def chats_by_tag(form: TagFilterForm, user: VerifiedUser, service: Service) -> Any:
    return await service.by_tag(user, form.name, Page(form.skip, form.limit))


@router.get("/list/user/{user_id}", response_model=list[ChatTitleIdResponse])
async def user_chats(
    user_id: Id,
    admin: AdminUser,
    service: Service,
    window: PagedWindow,
    query: Text = None,
    order_by: SortBy = "updated_at",
    direction: Direction = "desc",
) -> Any:
    if not service.container.settings.enable_admin_chat_access:
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    where = Chat.user_id == user_id
    if query:
        where = and_(where, repo.content_matches(query))
    return await service.titles(where, window, order_by, direction)


@router.delete("/", response_model=bool)
async def delete_all(user: VerifiedUser, service: Service) -> bool:
    return await service.delete_all(user)


@router.post("/shared/{chat_id}/access/update", response_model=ChatResponse)
async def update_share_access(
    chat_id: Id, form: ShareAccessForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update_share_access(user, chat_id, form.access_grants)


@router.get("/shared/{chat_id}/access", response_model=list[ShareGrant])
async def share_access(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    return await service.share_access(user, chat_id)


# ---------------------------------------------------------------- one chat


@router.get("/{chat_id}", response_model=ChatWithUsage)
async def get_chat(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    body = await service.present(await service.readable(user, chat_id))
    threshold = int(service.config.get("chat.compaction.token_threshold"))
    messages = body["chat"].get("history", {}).get("messages", {})
    # Open WebUI says how a shared copy may be used; owlet's shares can always be continued.
    chat = {**body["chat"], "share_mode": "continue"}
    usage = context_usage(messages, body["current_message_id"], threshold)
    return {**body, "chat": chat, "context_usage": usage}


@router.post("/{chat_id}", response_model=ChatResponse)
async def update_chat(
    chat_id: Id, form: ChatUpdateForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update(user, chat_id, form.chat, form.variables)


@router.delete("/{chat_id}", response_model=bool)
async def delete_chat(chat_id: Id, user: VerifiedUser, service: Service) -> bool:
    return await service.delete(user, chat_id)


@router.get("/{chat_id}/pinned", response_model=bool)
async def is_pinned(chat_id: Id, user: VerifiedUser, service: Service) -> bool:
    return bool((await service.owned(user, chat_id)).pinned)


@router.post("/{chat_id}/pin", response_model=ChatResponse)
async def pin(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    return await service.toggle(user, chat_id, "pinned")


@router.post("/{chat_id}/archive", response_model=ChatResponse)
async def archive(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    return await service.toggle(user, chat_id, "archived")


@router.post("/{chat_id}/fork", response_model=ChatResponse)
async def fork(
    chat_id: Id, user: VerifiedUser, service: Service, form: ForkForm | None = None
) -> Any:
    return await service.fork(user, chat_id, form.message_id if form else None)


@router.post("/{chat_id}/clone", response_model=ChatResponse)
async def clone(
    chat_id: Id, user: VerifiedUser, service: Service, form: CloneForm | None = None
) -> Any:
    return await service.clone(user, chat_id, form.title if form else None)


@router.post("/{chat_id}/clone/shared", response_model=ChatResponse)
async def clone_shared(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    return await service.clone_shared(user, chat_id)


@router.post("/{chat_id}/share", response_model=ChatResponse)
async def share(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    return await service.share(user, chat_id)


@router.delete("/{chat_id}/share", response_model=bool)
async def unshare(chat_id: Id, user: VerifiedUser, service: Service) -> bool:
    return await service.unshare(user, chat_id)


@router.post("/{chat_id}/folder", response_model=ChatResponse)
async def move_to_folder(
    chat_id: Id, form: FolderIdForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.move(user, chat_id, form.folder_id)


@router.get("/{chat_id}/tags", response_model=list[TagModel])
async def chat_tags(chat_id: Id, user: VerifiedUser, service: Service) -> Any:
    return await service.chat_tags(user, chat_id)


@router.post("/{chat_id}/tags", response_model=list[TagModel])
async def add_tag(chat_id: Id, form: TagForm, user: VerifiedUser, service: Service) -> Any:
    return await service.add_tag(user, chat_id, form.name)


@router.delete("/{chat_id}/tags", response_model=list[TagModel])
async def remove_tag(chat_id: Id, form: TagForm, user: VerifiedUser, service: Service) -> Any:
    return await service.remove_tag(user, chat_id, form.name)


@router.post("/{chat_id}/messages/{message_id}", response_model=ChatResponse)
async def update_message(
    chat_id: Id,
    message_id: MessageId,
    form: MessageContentForm,
    user: VerifiedUser,
    service: Service,
) -> Any:
    return await service.update_message(user, chat_id, message_id, form.content)


@router.delete("/{chat_id}/messages/{message_id}", response_model=ChatResponse)
async def delete_message(
    chat_id: Id, message_id: MessageId, user: VerifiedUser, service: Service
) -> Any:
    return await service.delete_message(user, chat_id, message_id)
