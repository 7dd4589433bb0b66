"""`/api/chat/completions`, `/api/chat/completed` and `/api/embeddings` (and `/api/v1/…`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from owlet.chats.history import ui_messages
from owlet.chats.recorder import ChatRecorder
from owlet.chats.service import ChatService
from owlet.completions.schemas import (
    ChatCompletedForm,
    ChatCompletedResponse,
    ChatCompletionForm,
    EmbeddingsForm,
)
from owlet.completions.service import CompletionService
from owlet.core.disconnect import CLIENT_GONE, ClientGone, unless_gone
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
from owlet.errors import AppError, BadRequest
from owlet.functions.actions import run_action
from owlet.providers.answer import ChatStream, JsonBody
from owlet.realtime import service as realtime
from owlet.retrieval import rag
from owlet.retrieval.embedders import EmbeddingError

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
async def chat_completions(form: ChatCompletionForm, call: VerifiedCall, request: Request) -> Any:
    service = service_for(call)
    body = form.model_dump(exclude_unset=True)
    ui_mode = await realtime.wants_ui_mode(call.container, call.user, body)
    if ui_mode and (thread := await ui_messages(call.session, call.user, body)) is not None:
        body["messages"] = thread  # the stored conversation, not what the client sent
    model, payload = await service.prepare_chat(call.user, body)
    items = await rag.resolve_items(call.session, call.container, call.user, body.get("files"))
    recorder = await ChatRecorder.open(
        call.session, call.container, ChatService(call.session, call.container, call.config),
        call.user, body, model,
    )  # fmt: skip
    await end_transaction(call.session)  # no database connection is held while the model answers
    if recorder is not None:  # filters see the message the answer is recorded into
        service.metadata.update(chat_id=recorder.chat_id, message_id=recorder.message["id"])
    sources: list[dict[str, Any]] = []
    if items:
        query = rag.last_user_text(payload.get("messages"))
        try:
            sources = await rag.retrieve(call.container, call.config, items, query)
        except (EmbeddingError, ValueError) as exc:  # an embedder down, another model's vectors
            if recorder is not None:
                await recorder.fail(str(exc))
            raise BadRequest(str(exc)) from exc
        if sources:
            context = rag.render_context(sources)
            payload["messages"] = rag.apply_template(
                call.config, payload.get("messages") or [], context, query
            )
    if recorder is None:
        if payload.get("stream"):
            result = await service.dispatch_chat(model, payload)
        else:  # nobody waits for a whole answer once its client has gone: stop making it
            try:
                result = await unless_gone(request, service.dispatch_chat(model, payload))
            except ClientGone:
                return Response(status_code=CLIENT_GONE)
        return respond(result, model.selected_model_id, sources)
    recorder.sources = sources
    recorder.outlet = service.outlet
    try:
        result = await service.dispatch_chat(model, payload)
    except AppError as exc:
        await recorder.fail(str(exc.detail))
        raise
    if ui_mode:  # the answer goes to the user's sockets; the server sees it through
        return await realtime.start(
            call.container, call.config, call.user, model, recorder, result, body
        )
    return await recorder.respond(result, model.selected_model_id)


def respond(
    result: dict[str, Any] | JsonBody | ChatStream,
    selected: str | None = None,
    sources: list[dict[str, Any]] | None = None,
) -> Response:
    """The provider's answer as it came: a relayed stream, raw JSON bytes, or a built body.

    RAG `sources` and an arena's `selected` pick lead the stream as their own `data:` lines,
    or are top-level keys of the JSON body.
    """
    extra: dict[str, Any] = {}
    if sources:
        extra["sources"] = sources
    if selected is not None:
        extra["selected_model_id"] = selected
    if extra:
        if isinstance(result, ChatStream):
            result.prefix.extend(sse_data({key: value}) for key, value in extra.items())
        else:
            body = result.parsed() if isinstance(result, JsonBody) else result
            result = {**body, **extra}
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


class ActionForm(ChatCompletedForm):
    event: dict[str, Any] | None = None


@router.post("/api/chat/actions/{action_id}")
async def chat_action(
    action_id: Annotated[str, Path(min_length=1, max_length=300)],
    form: ActionForm,
    user: VerifiedUser,
    service: Service,
) -> Any:
    """Run an action function (`function_id` or `function_id.sub_id`) on the messages."""
    body = form.model_dump(exclude_unset=True)
    model = await service.registry.resolve(user, str(body["model"]))
    result = await run_action(
        service.session, service.container, user, model.entry, action_id, body
    )
    return result


@router.post("/api/chat/completed", responses={200: {"model": ChatCompletedResponse}})
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
