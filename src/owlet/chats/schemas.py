"""Wire shapes of `/api/v1/chats` (reference §4.2)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from owlet.access.schemas import GrantForm
from owlet.config import features, stored
from owlet.core.validation import CleanText, Form, Identifier, JsonObject

ChatId = Identifier
TagName = Annotated[
    CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]


class ChatForm(Form):
    chat: JsonObject
    folder_id: ChatId | None = None
    variables: JsonObject | None = None


class ChatUpdateForm(Form):
    chat: JsonObject
    variables: JsonObject | None = None


class ImportItem(Form):
    chat: JsonObject
    folder_id: ChatId | None = None
    meta: JsonObject = Field(default_factory=dict)
    pinned: bool | None = False
    variables: JsonObject | None = None
    created_at: int | None = Field(default=None, ge=0, le=10**11)
    updated_at: int | None = Field(default=None, ge=0, le=10**11)


class ChatImportForm(Form):
    chats: list[ImportItem] = Field(max_length=10_000)


class TagForm(Form):
    name: TagName


class TagFilterForm(Form):
    name: TagName
    skip: int = Field(default=0, ge=0, le=10**9)
    limit: int = Field(default=50, ge=1, le=1000)


class FolderIdForm(Form):
    folder_id: ChatId | None = None


class CloneForm(Form):
    title: Annotated[CleanText, StringConstraints(max_length=1000)] | None = None


class ForkForm(Form):
    message_id: Annotated[CleanText, StringConstraints(min_length=1, max_length=256)] | None = None


class MessageContentForm(Form):
    content: Annotated[CleanText, StringConstraints(max_length=10_000_000)]


class ShareAccessForm(Form):
    access_grants: list[GrantForm] = Field(default_factory=list, max_length=1000)


class ChatResponse(BaseModel):
    id: str
    user_id: str
    title: str
    chat: dict[str, Any]
    updated_at: int
    created_at: int
    share_id: str | None = None
    archived: bool
    pinned: bool | None = False
    meta: dict[str, Any] = Field(default_factory=dict)
    variables: dict[str, Any] | None = Field(default_factory=dict)
    folder_id: str | None = None
    tasks: list[Any] | None = None
    summary: str | None = None
    current_message_id: str | None = None
    context_usage: dict[str, Any] | None = None


class ChatWithUsage(ChatResponse):
    """GET /api/v1/chats/{id} adds an estimate of the context the current branch fills."""

    context_usage: dict[str, Any]


class ChatTitleIdResponse(BaseModel):
    id: str
    title: str
    updated_at: int
    created_at: int
    last_read_at: int | None = None
    snippet: str | None = None
    active: bool = False
    archived: bool = False


class SharedChatItem(BaseModel):
    id: str
    title: str
    share_id: str | None
    updated_at: int
    created_at: int


class TagModel(BaseModel):
    id: str
    name: str
    user_id: str
    meta: dict[str, Any] | None = None


class ShareGrant(BaseModel):
    """An access grant of a shared chat, as `/shared/{id}/access` lists it."""

    id: str
    principal_type: str
    principal_id: str
    permission: str


# ---------------------------------------------------------------- read state (activity.py)


class ReadAllResponse(BaseModel):
    updated_count: int
    folder_unread_counts: dict[str, int]  # folders without unread chats are left out


class UnreadResponse(BaseModel):
    chat_id: str
    last_read_at: int | None
    folder_id: str | None
    folder_unread_counts: dict[str, int]


# ---------------------------------------------------------------- statistics (insights.py)


class UsageStats(BaseModel):
    models: list[str]
    message_count: int
    history_models: dict[str, int]
    history_message_count: int
    history_user_message_count: int
    history_assistant_message_count: int
    average_response_time: float
    average_user_message_content_length: float
    average_assistant_message_content_length: float
    last_message_at: int
    updated_at: int
    created_at: int


class UsageItem(UsageStats):
    id: str
    tags: list[str]


class UsageResponse(BaseModel):
    items: list[UsageItem]
    total: int


class MessageStats(BaseModel):
    """Figures of one message, never its text; the other fields are the message's own."""

    id: str
    role: Any
    model: Any
    content_length: int
    token_count: int
    timestamp: Any
    rating: Any
    tags: Any


class StatsHistory(BaseModel):
    messages: dict[str, MessageStats]
    currentId: str | None


class StatsChat(BaseModel):
    history: StatsHistory


class ChatStatsExport(BaseModel):
    id: str
    user_id: str
    created_at: int
    updated_at: int
    tags: list[str]
    stats: UsageStats
    chat: StatsChat


class StatsExportResponse(BaseModel):
    """`/stats/export` (with `stream=true`: NDJSON, one ChatStatsExport a line)."""

    type: str  # "chats"
    items: list[ChatStatsExport]
    total: int
    page: int


# ---------------------------------------------------------------- compaction


class ContextUsage(BaseModel):
    tokens: int
    estimated_tokens: int
    threshold: int
    percent: float
    source: str  # "estimated"


class CompactResponse(BaseModel):
    """`summary` only when something was compacted."""

    compacted: bool
    dropped_messages: int
    summary: str | None = None
    context_usage: ContextUsage


class _CompactionConfig(BaseModel):
    CONTEXT_COMPACTION_MODEL: str
    ENABLE_CONTEXT_COMPACTION: bool
    CONTEXT_COMPACTION_TOKEN_THRESHOLD: int
    CONTEXT_COMPACTION_TOKEN_CAP: int
    CONTEXT_COMPACTION_RETENTION_PERCENTAGE: int
    CONTEXT_COMPACTION_PROMPT_TEMPLATE: str


ChatsConfigResponse = features.answer_for("ChatsConfigResponse", stored.CHATS, _CompactionConfig)
