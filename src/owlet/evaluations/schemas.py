"""Wire shapes of `/api/v1/evaluations`: arena config, feedback (a rated answer), leaderboard."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from owlet.core.validation import CleanText, Form, Identifier, JsonObject

# ------------------------------------------------------------ arena config


class ArenaModelForm(Form):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    name: Annotated[str, StringConstraints(max_length=256)] = ""
    meta: JsonObject = Field(default_factory=dict)


class EvaluationConfig(BaseModel):
    ENABLE_EVALUATION_ARENA_MODELS: bool
    EVALUATION_ARENA_MODELS: list[dict[str, Any]]


class EvaluationConfigForm(Form):
    ENABLE_EVALUATION_ARENA_MODELS: bool | None = None
    EVALUATION_ARENA_MODELS: list[ArenaModelForm] | None = Field(default=None, max_length=100)


# ------------------------------------------------------------ feedback

ModelId = Annotated[CleanText, StringConstraints(min_length=1, max_length=256)]
TagName = Annotated[CleanText, StringConstraints(max_length=255)]


class RatingData(Form):
    """What the web client sends for a rated answer: the message's annotation (rating,
    reason, comment, tags, details) plus the model that answered and its siblings. Fields
    the client adds later are kept as given."""

    model_config = ConfigDict(extra="allow")

    rating: Annotated[int, Field(ge=-1, le=1)] | None = None  # 1 up, -1 down, 0 a draw
    model_id: ModelId
    sibling_model_ids: list[ModelId] | None = Field(default=None, max_length=100)
    reason: Annotated[CleanText, StringConstraints(max_length=1000)] | None = None
    comment: Annotated[CleanText, StringConstraints(max_length=10_000)] | None = None
    tags: list[TagName] | None = Field(default=None, max_length=50)
    details: JsonObject | None = None  # {rating: 1..10}


class FeedbackMeta(Form):
    model_config = ConfigDict(extra="allow")

    arena: bool | None = None
    chat_id: Identifier | None = None
    message_id: Identifier | None = None
    tags: list[TagName] | None = Field(default=None, max_length=50)


class FeedbackSnapshot(Form):
    model_config = ConfigDict(extra="allow")

    chat: JsonObject | None = None  # the chat as `GET /chats/{id}` gave it at rating time


class FeedbackForm(Form):
    """Top-level fields beyond these are ignored (a newer client's are not refused)."""

    type: Annotated[CleanText, StringConstraints(min_length=1, max_length=64)]
    data: RatingData
    meta: FeedbackMeta = Field(default_factory=FeedbackMeta)
    snapshot: FeedbackSnapshot | None = None


class FeedbackResponse(BaseModel):
    """A feedback without its chat snapshot (list entries)."""

    id: str
    user_id: str
    version: int
    type: str
    data: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    created_at: int
    updated_at: int


class FeedbackModel(FeedbackResponse):
    snapshot: dict[str, Any] | None = None


class FeedbackUser(BaseModel):
    id: str
    name: str
    email: str
    role: str


class FeedbackUserResponse(FeedbackResponse):
    user: FeedbackUser | None = None  # None once the user is gone (never, with the cascade)


class FeedbackListResponse(BaseModel):
    items: list[FeedbackUserResponse]
    total: int


class FeedbackIdResponse(BaseModel):
    id: str
    user_id: str
    created_at: int
    updated_at: int


# ------------------------------------------------------------ leaderboard


class TagCount(BaseModel):
    tag: str
    count: int


class LeaderboardEntry(BaseModel):
    model_id: str
    rating: int
    won: int
    lost: int
    count: int
    top_tags: list[TagCount]


class LeaderboardResponse(BaseModel):
    entries: list[LeaderboardEntry]


class HistoryDay(BaseModel):
    date: str  # YYYY-MM-DD (UTC)
    won: int
    lost: int


class ModelHistoryResponse(BaseModel):
    model_id: str
    history: list[HistoryDay]
