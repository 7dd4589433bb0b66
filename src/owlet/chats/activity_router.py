"""`/api/v1/chats/…` for read state, statistics, compaction and message events.

Included before `chats/router.py`, so `/read`, `/stats/…` and `/config` are not taken for ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import Field

from owlet.chats import activity
from owlet.chats.router import Service
from owlet.chats.schemas import (
    ChatsConfigResponse,
    ChatStatsExport,
    CompactResponse,
    ReadAllResponse,
    StatsExportResponse,
    UnreadResponse,
    UsageResponse,
)
from owlet.config import features, stored
from owlet.config.store import Staged
from owlet.core.paging import Page
from owlet.core.streams import NDJSON_MEDIA_TYPE
from owlet.core.validation import CleanText, Form, Identifier, JsonObject
from owlet.deps import AdminUser, ConfigDep, SessionDep, VerifiedUser

router = APIRouter(prefix="/api/v1/chats", tags=["chats"])
MessageId = Annotated[CleanText, Path(min_length=1, max_length=256)]
STATS_EXPORT_PAGE = 10


class CompactForm(Form):
    model: Annotated[CleanText, Field(min_length=1, max_length=256)] | None = None


class EventForm(Form):
    type: Annotated[CleanText, Field(min_length=1, max_length=100)]
    data: JsonObject = Field(default_factory=dict)


class CompactionConfigForm(Form):
    CONTEXT_COMPACTION_MODEL: Annotated[CleanText, Field(max_length=256)] = ""
    ENABLE_CONTEXT_COMPACTION: bool = False
    CONTEXT_COMPACTION_TOKEN_THRESHOLD: int = Field(default=100_000, ge=1, le=10**9)
    CONTEXT_COMPACTION_TOKEN_CAP: int | None = Field(default=None, ge=1, le=10**9)
    CONTEXT_COMPACTION_RETENTION_PERCENTAGE: int = 40
    CONTEXT_COMPACTION_PROMPT_TEMPLATE: Annotated[CleanText, Field(max_length=100_000)] = ""


# With the tool settings owlet stores only (left out: kept).
if TYPE_CHECKING:  # the stored-only fields are read through `features.staged`
    ChatsConfigForm = CompactionConfigForm
else:
    ChatsConfigForm = features.form_for(
        "ChatsConfigForm", stored.CHATS, "all", CompactionConfigForm
    )


@router.post("/read", response_model=ReadAllResponse)
async def mark_all_read(user: VerifiedUser, service: Service) -> Any:
    return await activity.mark_all_read(service, user)


@router.get("/stats/usage", responses={200: {"model": UsageResponse}})
async def usage_stats(
    user: VerifiedUser,
    service: Service,
    items_per_page: Annotated[int, Query(ge=1, le=1000)] = 50,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Any:
    return await activity.usage(service, user, Page((page - 1) * items_per_page, items_per_page))


@router.get(
    "/stats/export",
    responses={200: {"model": StatsExportResponse,
                     "content": {NDJSON_MEDIA_TYPE: {}}}},
)  # fmt: skip
async def export_stats(
    user: VerifiedUser,
    service: Service,
    updated_at: Annotated[int | None, Query(ge=0, le=10**11)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    stream: bool = False,
) -> Any:
    await activity.require_stats_export(service, user)
    window = Page((page - 1) * STATS_EXPORT_PAGE, STATS_EXPORT_PAGE)
    items, total = await activity.export_stats(service, user, updated_at, window)
    if stream:
        return StreamingResponse(activity.ndjson(items), media_type=NDJSON_MEDIA_TYPE)
    return {"type": "chats", "items": items, "total": total, "page": page}


@router.get("/stats/export/{chat_id}", responses={200: {"model": ChatStatsExport}})
async def export_chat_stats(chat_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    await activity.require_stats_export(service, user)
    return await activity.export_one(service, await service.owned(user, chat_id))


@router.get("/config", responses={200: {"model": ChatsConfigResponse}})
async def compaction_config(_admin: AdminUser, config: ConfigDep) -> Any:
    return activity.compaction_config(config)


@router.post("/config", responses={200: {"model": ChatsConfigResponse}})
async def update_compaction_config(
    form: ChatsConfigForm,
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
) -> Any:
    values: dict[str, Any] = {
        "chat.compaction.model": form.CONTEXT_COMPACTION_MODEL,
        "chat.compaction.enable": form.ENABLE_CONTEXT_COMPACTION,
        "chat.compaction.token_threshold": form.CONTEXT_COMPACTION_TOKEN_THRESHOLD,
        "chat.compaction.token_cap": form.CONTEXT_COMPACTION_TOKEN_CAP,
        # clamped, as Open WebUI does
        "chat.compaction.retention_percentage": min(
            50, max(10, form.CONTEXT_COMPACTION_RETENTION_PERCENTAGE)
        ),
        "chat.compaction.prompt_template": form.CONTEXT_COMPACTION_PROMPT_TEMPLATE,
        **features.staged(stored.CHATS, form),
    }
    await config.stage(session, values)
    return activity.compaction_config(Staged(config, values))


@router.post("/{chat_id}/compact", responses={200: {"model": CompactResponse}})
async def compact(
    chat_id: Identifier, user: VerifiedUser, service: Service, form: CompactForm | None = None
) -> Any:
    return await activity.compact(service, user, chat_id, form.model if form else None)


@router.post("/{chat_id}/unread", response_model=UnreadResponse)
async def mark_unread(chat_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await activity.mark_unread(service, user, chat_id)


@router.post("/{chat_id}/messages/{message_id}/event", response_model=bool)
async def message_event(
    chat_id: Identifier,
    message_id: MessageId,
    form: EventForm,
    user: VerifiedUser,
    service: Service,
) -> bool:
    return await activity.record_event(service, user, chat_id, message_id, form.type, form.data)
