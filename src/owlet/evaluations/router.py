"""`/api/v1/evaluations/*`: admins turn arena models on and define them; users rate answers
(feedback), and admins read, export and delete every user's ratings and the leaderboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from owlet.core.validation import CleanText, Identifier
from owlet.deps import AdminUser, ConfigDep, SessionDep, VerifiedUser
from owlet.evaluations.schemas import (
    EvaluationConfig,
    EvaluationConfigForm,
    FeedbackForm,
    FeedbackIdResponse,
    FeedbackListResponse,
    FeedbackModel,
    FeedbackResponse,
    LeaderboardResponse,
    ModelHistoryResponse,
)
from owlet.evaluations.service import FeedbackService

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"])


def get_service(session: SessionDep) -> FeedbackService:
    return FeedbackService(session)


Service = Annotated[FeedbackService, Depends(get_service)]
Text = Annotated[CleanText | None, Query(max_length=500)]  # no NUL: PostgreSQL refuses it
PageNumber = Annotated[int | None, Query(le=1_000_000)]


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


@router.get("/leaderboard", response_model=LeaderboardResponse)
async def leaderboard(_admin: AdminUser, service: Service, query: Text = None) -> Any:
    return await service.leaderboard(query)


@router.get("/leaderboard/{model_id:path}/history", response_model=ModelHistoryResponse)
async def model_history(
    model_id: Annotated[CleanText, Path(min_length=1, max_length=256)],
    _admin: AdminUser,
    service: Service,
    days: Annotated[int, Query(ge=0, le=36_500)] = 30,
) -> Any:
    """Wins and losses per day for the leaderboard's model view (30 days, a year, or all)."""
    return await service.history(model_id, days)


# ------------------------------------------------------------ admin: everyone's feedback


@router.get("/feedbacks/list", response_model=FeedbackListResponse)
async def feedbacks(
    _admin: AdminUser,
    service: Service,
    order_by: Text = None,
    direction: Text = None,
    model_id: Text = None,
    page: PageNumber = None,
) -> Any:
    return await service.list_all(order_by, direction, page, model_id)


@router.get("/feedbacks/models", response_model=list[str])
async def feedback_model_ids(_admin: AdminUser, service: Service) -> Any:
    return await service.model_ids()


@router.get("/feedbacks/all/ids", response_model=list[FeedbackIdResponse])
async def feedback_ids(_admin: AdminUser, service: Service) -> Any:
    return await service.ids()


@router.get("/feedbacks/all/export", response_model=list[FeedbackModel])
async def export_feedbacks(_admin: AdminUser, service: Service, model_id: Text = None) -> Any:
    return await service.export(model_id)


@router.delete("/feedbacks/all", response_model=bool)
async def delete_all_feedbacks(_admin: AdminUser, service: Service) -> bool:
    return await service.delete_all()


# ------------------------------------------------------------ the caller's own


@router.get("/feedbacks/user", response_model=list[FeedbackResponse])
async def own_feedbacks(user: VerifiedUser, service: Service, page: PageNumber = None) -> Any:
    return await service.list_own(user, page)


@router.delete("/feedbacks", response_model=bool)
async def delete_own_feedbacks(user: VerifiedUser, service: Service) -> bool:
    return await service.delete_own(user)


@router.post("/feedback", response_model=FeedbackModel)
async def create_feedback(form: FeedbackForm, user: VerifiedUser, service: Service) -> Any:
    return await service.create(user, form)


@router.get("/feedback/{feedback_id}", response_model=FeedbackModel)
async def get_feedback(feedback_id: Identifier, user: VerifiedUser, service: Service) -> Any:
    return await service.get(user, feedback_id)


@router.post("/feedback/{feedback_id}", response_model=FeedbackModel)
async def update_feedback(
    feedback_id: Identifier, form: FeedbackForm, user: VerifiedUser, service: Service
) -> Any:
    return await service.update(user, feedback_id, form)


@router.delete("/feedback/{feedback_id}", response_model=bool)
async def delete_feedback(feedback_id: Identifier, user: VerifiedUser, service: Service) -> bool:
    return await service.delete(user, feedback_id)
