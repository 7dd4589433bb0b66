"""`/api/chat/completions`, `/api/chat/completed` and `/api/embeddings` (and `/api/v1/…`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from owlet.chats.recorder import ChatRecorder
from owlet.chats.service import ChatService
from owlet.completions.schemas import ChatCompletedForm, ChatCompletionForm, EmbeddingsForm
from owlet.completions.service import CompletionService
from owlet.core.streams import SSE_MEDIA_TYPE, STREAM_HEADERS, sse_data
from owlet.deps import (
    Call,
    ConfigDep,
    ContainerDep,
    SessionDep,
    VerifiedCall,
    VerifiedUser,
    end_transaction,
)
from owlet.errors import AppError
from owlet.providers.gateway import ChatStream, JsonBody

router = APIRouter(tags=["chat"])


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> CompletionService:
    return CompletionService(session, container, config, container.stages)


Service = Annotated[CompletionService, Depends(get_service)]


def service_for(call: Call) -> CompletionService:
    """The service for a hot route that took its context as one `VerifiedCall` dependency."""
    return CompletionService(call.session, call.container, call.config, call.container.stages)


STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A chat.completion object, or an SSE stream of chat.completion.chunk",
        "content": {SSE_MEDIA_TYPE: {}},
    }
}


@router.post("/api/chat/completions", responses=STREAM_RESPONSE)
@router.post("/api/v1/chat/completions", responses=STREAM_RESPONSE)
async def chat_completions(form: ChatCompletionForm, call: VerifiedCall) -> Any:
    service = service_for(call)
    body = form.model_dump(exclude_unset=True)
    model, payload = await service.prepare_chat(call.user, body)
    recorder = await ChatRecorder.open(
        call.session, call.container, ChatService(call.session, call.container, call.config),
        call.user, body, model,
    )  # fmt: skip
    await end_transaction(call.session)  # no database connection is held while the model answers
    if recorder is None:
        return respond(await service.dispatch_chat(model, payload), model.selected_model_id)
    try:
        result = await service.dispatch_chat(model, payload)
    except AppError as exc:
        await recorder.fail(str(exc.detail))
        raise
    return await recorder.respond(result, model.selected_model_id)


def respond(
    result: dict[str, Any] | JsonBody | ChatStream, selected: str | None = None
) -> Response:
    """The provider's answer as it came: a relayed stream, raw JSON bytes, or a built body.

    `selected` (an arena's pick) leads the stream, or is a top-level key of the JSON body.
    """
    if selected is not None:
        if isinstance(result, ChatStream):
            result.prefix.append(sse_data({"selected_model_id": selected}))
        else:
            body = result.parsed() if isinstance(result, JsonBody) else result
            result = {**body, "selected_model_id": selected}
    if isinstance(result, ChatStream):
        return StreamingResponse(
            result,
            media_type=SSE_MEDIA_TYPE,
            headers=STREAM_HEADERS,
            background=BackgroundTask(result.aclose),
        )
    if isinstance(result, JsonBody):
        return Response(result.raw, media_type="application/json")
    return JSONResponse(result)


@router.post("/api/chat/completed")
async def chat_completed(form: ChatCompletedForm, user: VerifiedUser, service: Service) -> Any:
    return await service.completed(user, form.model_dump(exclude_unset=True))


@router.post("/api/embeddings")
@router.post("/api/v1/embeddings")
async def embeddings(form: EmbeddingsForm, call: VerifiedCall) -> Any:
    service = service_for(call)
    body = form.model_dump(exclude_unset=True)
    model = await service.prepare_embeddings(call.user, body)
    await end_transaction(call.session)
    return JSONResponse(await service.dispatch_embeddings(model, body))
