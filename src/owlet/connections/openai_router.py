"""`/openai/*`: the OpenAI-compatible connections as one API (reference §1.7)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ConfigDict

from owlet.completions.router import Service as CompletionServiceDep
from owlet.completions.router import respond
from owlet.completions.schemas import ChatCompletionForm
from owlet.connections.relay import forward
from owlet.core.streams import SSE_MEDIA_TYPE, sse_data
from owlet.core.validation import Form
from owlet.deps import ConfigDep, ContainerDep, SessionDep, VerifiedUser, end_transaction
from owlet.errors import BadRequest, Forbidden, Messages, NotFound, ServiceUnavailable
from owlet.models.registry import ModelNotFound, ModelRegistry
from owlet.models.schemas import ModelId
from owlet.providers.answer import ModelUnavailable
from owlet.providers.catalog import listed_items
from owlet.providers.connections import openai_connections
from owlet.providers.gateway import pick_connection

router = APIRouter(prefix="/openai", tags=["openai"])

OPENAI_API_DISABLED = "OpenAI API is disabled"
PASSTHROUGH_DISABLED = (
    "Direct API passthrough is disabled. Set ENABLE_OPENAI_API_PASSTHROUGH=True to enable."
)


def _require_enabled(config: Any) -> None:
    if not config.get("openai.enable"):
        raise ServiceUnavailable(OPENAI_API_DISABLED)


async def get_registry(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> ModelRegistry:
    return ModelRegistry(session, container, config)


Registry = Annotated[ModelRegistry, Depends(get_registry)]


@router.get("/models")
@router.get("/models/{url_idx}")
async def models(
    user: VerifiedUser,
    registry: Registry,
    session: SessionDep,
    container: ContainerDep,
    config: ConfigDep,
    url_idx: int | None = None,
) -> Any:
    _require_enabled(config)
    listed = await registry.visible(user) if user.role == "user" else None
    allowed = None if listed is None else {m["id"] for m in listed}
    await end_transaction(session)
    if url_idx is not None:
        conns = {c.idx: c for c in openai_connections(config) if c.enabled}
        if url_idx not in conns:
            raise BadRequest(f"No OpenAI connection at index {url_idx}")
        conn = conns[url_idx]
        body = await container.upstream.request_json(
            conn,
            "GET",
            "/models",
            read_timeout=container.settings.aiohttp_client_timeout_model_list,
        )
        if allowed is None:
            return body
        data = [m for m in listed_items(body, "data") if conn.expose(str(m.get("id"))) in allowed]
        return {**(body if isinstance(body, dict) else {}), "data": data}
    entries = await container.catalog.base_models(config)
    return {
        "data": [
            m
            for m in entries
            if m.get("owned_by") == "openai" and (allowed is None or m["id"] in allowed)
        ]
    }


@router.post("/chat/completions")
async def chat_completions(
    form: ChatCompletionForm,
    user: VerifiedUser,
    service: CompletionServiceDep,
    session: SessionDep,
    container: ContainerDep,
    config: ConfigDep,
) -> Any:
    _require_enabled(config)
    body = form.model_dump(exclude_unset=True)
    try:
        model, payload = await service.prepare_chat(user, body)
    except ModelNotFound:
        raise await _not_usable(container, config, form.model) from None
    if model.base.get("owned_by") != "openai":
        raise NotFound(f"Model '{form.model}' was not found")
    await end_transaction(session)
    return respond(await service.dispatch_chat(model, payload), model.selected_model_id)


async def _not_usable(container: Any, config: Any, model_id: str) -> Exception:
    """A provider model the caller may not use is 403; an unknown id is 404 (reference §1.7)."""
    known = {m["id"] for m in await container.catalog.base_models(config)}
    if model_id in known:
        return Forbidden(Messages.MODEL_NOT_FOUND)
    return NotFound(f"Model '{model_id}' was not found")


class ResponsesForm(Form):
    """The Responses API body: `model` is required, everything else goes upstream as sent."""

    model_config = ConfigDict(extra="allow")

    model: ModelId


@router.post("/responses")
async def responses(
    form: ResponsesForm,
    user: VerifiedUser,
    registry: Registry,
    session: SessionDep,
    container: ContainerDep,
    config: ConfigDep,
) -> Any:
    """Proxied to the model's connection `{url}/responses`; a stream is relayed as it comes."""
    _require_enabled(config)
    try:
        model = await registry.resolve(user, form.model)
        conn = pick_connection(config, model.base)
    except (ModelNotFound, ModelUnavailable):
        raise await _not_usable(container, config, form.model) from None
    if conn.kind != "openai":
        raise NotFound(f"Model '{form.model}' was not found")
    body = {**form.model_dump(exclude_unset=True), "model": conn.upstream_id(model.base["id"])}
    await end_transaction(session)
    return await forward(
        container.upstream,
        conn,
        "POST",
        "/responses",
        body,
        stream=bool(body.get("stream")),
        media_type=SSE_MEDIA_TYPE,
        error_frame=lambda message: sse_data({"type": "error", "message": message}),
    )


async def passthrough(
    path: str, request: Request, _user: VerifiedUser, container: ContainerDep, config: ConfigDep
) -> Any:
    """Arbitrary upstream paths: off unless ENABLE_OPENAI_API_PASSTHROUGH, as in Open WebUI.

    The connection is the one serving the body's `model` (else the first enabled one), and the
    path must stay below its base URL.
    """
    if not container.settings.enable_openai_api_passthrough:
        raise Forbidden(PASSTHROUGH_DISABLED)
    _require_enabled(config)
    if any(segment in ("..", ".") for segment in path.split("/")) or "\\" in path:
        raise BadRequest("The path must stay below the connection's base URL.")
    conns = [c for c in openai_connections(config) if c.enabled]
    if not conns:
        raise ServiceUnavailable(OPENAI_API_DISABLED)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError as exc:
        raise BadRequest("The request body is not valid JSON.") from exc
    conn = conns[0]
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        entries = await container.catalog.base_models(config)
        entry = next((m for m in entries if m["id"] == body["model"]), None)
        if entry is not None and entry.get("owned_by") == "openai":
            conn = next((c for c in conns if c.idx == entry.get("urlIdx")), conn)
            body = {**body, "model": conn.upstream_id(body["model"])}
    query = request.url.query
    return await container.upstream.request_json(
        conn,
        request.method,
        "/" + path + (f"?{query}" if query else ""),
        json_body=body,
        expect_json=False,
    )


for _method in ("GET", "POST", "PUT", "DELETE"):  # one route each: distinct operation ids
    router.add_api_route(
        "/{path:path}", passthrough, methods=[_method], name=f"passthrough_{_method.lower()}"
    )
