"""`/api/v1/evaluations/*`: admins turn arena models on and define them; the feedback list
and leaderboard read as for a server that holds no feedback, since owlet stores none yet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from owlet.core.validation import Form, JsonObject
from owlet.deps import AdminUser, ConfigDep, SessionDep

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"])


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


def _current(values: dict[str, Any]) -> EvaluationConfig:
    return EvaluationConfig(
        ENABLE_EVALUATION_ARENA_MODELS=bool(values["evaluation.arena.enable"]),
        EVALUATION_ARENA_MODELS=list(values["evaluation.arena.models"] or []),
    )


@router.get("/config", response_model=EvaluationConfig)
async def evaluation_config(_admin: AdminUser, config: ConfigDep) -> EvaluationConfig:
    return _current(config.snapshot())


@router.post("/config", response_model=EvaluationConfig)
async def update_evaluation_config(
    form: EvaluationConfigForm, _admin: AdminUser, config: ConfigDep, session: SessionDep
) -> EvaluationConfig:
    values: dict[str, Any] = {}
    if form.ENABLE_EVALUATION_ARENA_MODELS is not None:
        values["evaluation.arena.enable"] = form.ENABLE_EVALUATION_ARENA_MODELS
    if form.EVALUATION_ARENA_MODELS is not None:
        values["evaluation.arena.models"] = [m.model_dump() for m in form.EVALUATION_ARENA_MODELS]
    await config.stage(session, values)
    return _current({**config.snapshot(), **values})


Text = Annotated[str | None, Query(max_length=500)]


@router.get("/feedbacks/list")
async def feedbacks(
    _admin: AdminUser,
    order_by: Text = None,
    direction: Text = None,
    model_id: Text = None,
    page: Annotated[int | None, Query(le=1_000_000)] = None,
) -> dict[str, Any]:
    return {"items": [], "total": 0}


@router.get("/leaderboard")
async def leaderboard(_admin: AdminUser, query: Text = None) -> dict[str, Any]:
    return {"entries": []}
