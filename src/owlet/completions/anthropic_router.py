"""`/api/v1/messages` (alias `/api/message`): Anthropic Messages in, the same pipeline inside."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from owlet.completions.router import Service, service_for
from owlet.completions.schemas import ChatCompletionForm
from owlet.core.streams import DONE, SSE_MEDIA_TYPE, STREAM_HEADERS, iter_sse, parse_frame
from owlet.core.validation import check_json
from owlet.deps import (
    ConfigDep,
    ContainerDep,
    SessionDep,
    VerifiedCall,
    VerifiedUser,
    end_transaction,
)
from owlet.errors import AppError, BadRequest, Messages, NotFound
from owlet.models.registry import ModelNotFound
from owlet.providers import anthropic
from owlet.providers.answer import ChatStream, JsonBody, ModelUnavailable
from owlet.providers.gateway import pick_connection
from owlet.providers.http import UpstreamError

router = APIRouter(tags=["anthropic"])


class AnthropicError(BadRequest):
    """A 400 that also carries Anthropic's `{"type": "error", "error": {...}}` shape."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extra=anthropic.error_body(message))


async def _events(stream: ChatStream, model: str) -> AsyncIterator[bytes]:
    translator = anthropic.AnthropicStream(model, f"msg_{uuid.uuid4().hex}")
    try:
        async for event in iter_sse(_as_chunks(stream)):
            if event.data == DONE:
                break
            chunk = parse_frame(event.data)
            if chunk.get("error"):
                message = str((chunk["error"] or {}).get("message", "upstream error"))
                yield anthropic.encode_event("error", anthropic.error_body(message, "api_error"))
                return
            for name, data in translator.feed(chunk):
                yield anthropic.encode_event(name, data)
        for name, data in translator.finish():
            yield anthropic.encode_event(name, data)
    finally:
        await stream.aclose()


async def _as_chunks(stream: ChatStream) -> AsyncIterator[bytes]:
    async for frame in stream:
        yield frame


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
        if not isinstance(body, dict):
            raise anthropic.AnthropicRequestError("The body must be a JSON object.")
        check_json(body)
    except (ValueError, anthropic.AnthropicRequestError) as exc:
        raise AnthropicError(str(exc)) from exc
    return body


async def _messages(request: Request, user: Any, service: Any, session: Any) -> Any:
    body = await _json_object(request)
    try:
        openai_body = anthropic.to_openai_request(body)
    except anthropic.AnthropicRequestError as exc:
        raise AnthropicError(str(exc)) from exc
    model_id = str(body.get("model"))
    try:
        form = ChatCompletionForm.model_validate(openai_body)
    except ValueError as exc:
        raise AnthropicError(f"Invalid request: {exc}") from exc
    model, payload = await service.prepare_chat(user, form.model_dump(exclude_unset=True))
    await end_transaction(session)
    result = await service.dispatch_chat(model, payload)
    if isinstance(result, ChatStream):
        return StreamingResponse(
            _events(result, model_id),
            media_type=SSE_MEDIA_TYPE,
            headers=STREAM_HEADERS,
            background=BackgroundTask(result.aclose),
        )
    parsed = result.parsed() if isinstance(result, JsonBody) else result
    return anthropic.from_openai_response(parsed, model_id)


@router.post("/api/v1/messages")
@router.post("/api/message")
async def messages(request: Request, call: VerifiedCall) -> Any:
    """Authenticated by `Authorization: Bearer` or `x-api-key`, like Anthropic's own API."""
    try:
        return await _messages(request, call.user, service_for(call), call.session)
    except AnthropicError:
        raise
    except AppError as exc:
        exc.extra = {**exc.extra, **anthropic.error_body(str(exc.detail))}
        raise


@router.post("/api/v1/messages/count_tokens")
@router.post("/api/message/count_tokens")
async def count_tokens(
    request: Request,
    user: VerifiedUser,
    service: Service,
    session: SessionDep,
    container: ContainerDep,
    config: ConfigDep,
) -> Any:
    """`{"input_tokens": n}` as counted by the model's OpenAI-type connection."""
    body = await _json_object(request)
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise AnthropicError("model is required")
    try:
        model = await service.registry.resolve(user, model_id)
        conn = pick_connection(config, model.base)
    except (ModelNotFound, ModelUnavailable):
        raise NotFound(
            Messages.MODEL_NOT_FOUND,
            extra=anthropic.error_body(Messages.MODEL_NOT_FOUND, "not_found_error"),
        ) from None
    if conn.kind != "openai":
        raise AnthropicError("Token counting is only available for OpenAI-type connections.")
    await end_transaction(session)
    upstream_body = {**body, "model": conn.upstream_id(str(model.base["id"]))}
    counted = await container.upstream.request_json(
        conn, "POST", "/messages/count_tokens", json_body=upstream_body
    )
    tokens = counted.get("input_tokens") if isinstance(counted, dict) else None
    if not isinstance(tokens, int) or isinstance(tokens, bool):
        raise UpstreamError(502, "Invalid token-count response from upstream provider")
    return {"input_tokens": tokens}
