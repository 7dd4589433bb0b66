"""`/ollama/*`: Ollama's own API, proxied to a node that hosts the model (reference §1.8)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ConfigDict, Field
from starlette.background import BackgroundTask

from owlet.connections.ollama_service import ModelNotHosted, OllamaProxy, Shape, stored_params
from owlet.core.disconnect import CLIENT_GONE, ClientGone, unless_gone
from owlet.core.streams import NDJSON_MEDIA_TYPE, STREAM_HEADERS
from owlet.core.validation import Form
from owlet.deps import (
    AdminUser,
    Call,
    ConfigDep,
    ContainerDep,
    SessionDep,
    VerifiedCall,
    VerifiedUser,
    end_transaction,
)
from owlet.errors import BadRequest
from owlet.models.registry import ResolvedModel
from owlet.models.schemas import ModelId
from owlet.providers.catalog import listed_items
from owlet.providers.gateway import unload as unload_model
from owlet.providers.local import ollama_shape as local_shape
from owlet.providers.local.request import request_params
from owlet.providers.ollama_translate import ShapeError

router = APIRouter(prefix="/ollama", tags=["ollama"])


async def get_proxy(session: SessionDep, container: ContainerDep, config: ConfigDep) -> OllamaProxy:
    return OllamaProxy(session, container, config)


def proxy_for(call: Call) -> OllamaProxy:
    """The proxy for a hot route that took its context as one `VerifiedCall` dependency."""
    return OllamaProxy(call.session, call.container, call.config)


Proxy = Annotated[OllamaProxy, Depends(get_proxy)]


class OllamaForm(Form):
    """Any Ollama request body: the model is `model` or (older clients) `name`."""

    model_config = ConfigDict(extra="allow")

    model: ModelId | None = None
    name: ModelId | None = None
    stream: bool | None = None

    @property
    def model_name(self) -> str:
        name = self.model or self.name
        if not name:
            raise BadRequest("A model name is required (`model`).")
        return name

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class OllamaChatForm(OllamaForm):
    messages: list[dict[str, Any]] = Field(default_factory=list)

    def check_messages(self) -> None:
        """Open WebUI answers 400 (not 422) for a message with neither content nor calls."""
        for message in self.messages:
            if message.get("content") is None and not message.get("tool_calls"):
                raise BadRequest("Every message needs `content` or `tool_calls`.")


class CopyForm(Form):
    source: ModelId
    destination: ModelId


def _streams(form: OllamaForm, default: bool = True) -> bool:
    return default if form.stream is None else form.stream


@router.get("/")  # Starlette answers HEAD for every GET route
async def status() -> dict[str, bool]:
    return {"status": True}


@router.get("/api/tags")
@router.get("/api/tags/{url_idx}")
async def tags(user: VerifiedUser, proxy: Proxy, url_idx: int | None = None) -> Any:
    return await proxy.tags(user, url_idx)


@router.get("/api/ps")
async def running_models(_admin: AdminUser, proxy: Proxy) -> Any:
    if not proxy.enabled:
        return {"models": []}
    models: list[dict[str, Any]] = []
    for idx, conn in proxy.nodes().items():
        body = await proxy.upstream.request_json(
            conn, "GET", "/api/ps", read_timeout=proxy.list_timeout
        )
        for model in listed_items(body, "models"):
            models.append({**model, "urls": [idx]})
    return {"models": models}


@router.get("/api/version")
@router.get("/api/version/{url_idx}")
async def version(_user: VerifiedUser, proxy: Proxy, url_idx: int | None = None) -> Any:
    return await proxy.version(url_idx)


async def _model_call(
    form: OllamaForm,
    user: Any,
    proxy: OllamaProxy,
    session: Any,
    path: str,
    url_idx: int | None,
    *,
    stream_default: bool | None,
    shape: Shape | None = None,
    request: Request | None = None,
) -> Any:
    """Route to a node hosting the model; `shape` says how to apply a custom model's params.
    A local model answers `/api/chat` and `/api/generate` itself."""
    resolved = await proxy.resolve(user, form.model_name)
    if resolved.base.get("owned_by") == "local":
        kind = _LOCAL_KINDS.get(path)
        if kind is None or url_idx is not None:
            raise ModelNotHosted(form.model_name)
        return await _local_call(form, user, proxy, session, resolved, kind, request)
    conn, upstream_model, params = proxy.route(user, resolved, url_idx)
    body = form.body()
    body.pop("name", None)
    body["model"] = upstream_model
    if shape is not None:
        try:
            proxy.apply_params(shape, body, params, user)
        except ShapeError as exc:
            raise BadRequest(str(exc)) from exc
    await end_transaction(session)
    stream = False if stream_default is None else _streams(form, stream_default)
    return await proxy.forward(conn, "POST", path, body, stream)


_LOCAL_KINDS: dict[str, local_shape.Kind] = {"/api/chat": "chat", "/api/generate": "generate"}


async def _local_call(
    form: OllamaForm,
    user: Any,
    proxy: OllamaProxy,
    session: Any,
    resolved: ResolvedModel,
    kind: local_shape.Kind,
    request: Request | None,
) -> Any:
    engine = proxy.container.local
    if engine is None:
        raise ModelNotHosted(form.model_name)
    body = form.body()
    try:
        proxy.apply_params("ollama", body, stored_params(resolved), user)
        openai_request = local_shape.openai_body(kind, body)
        request_params(openai_request)
    except ShapeError as exc:
        raise BadRequest(str(exc)) from exc
    await end_transaction(session)
    model_id = str(resolved.base["id"])
    framer = local_shape.Framer(kind, form.model_name)
    chunks = engine.chunks(model_id, openai_request, user.id)
    if not openai_request["stream"]:
        try:
            whole = local_shape.whole(chunks, framer)
            return await (whole if request is None else unless_gone(request, whole))
        except ClientGone:
            return Response(status_code=CLIENT_GONE)
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
    return StreamingResponse(
        local_shape.ndjson(chunks, framer),
        media_type=NDJSON_MEDIA_TYPE,
        headers=STREAM_HEADERS,
        background=BackgroundTask(chunks.aclose),  # type: ignore[attr-defined]
    )


@router.post("/api/generate")
@router.post("/api/generate/{url_idx}")
async def generate(
    form: OllamaForm,
    call: VerifiedCall,
    request: Request,
    url_idx: int | None = None,
) -> Any:
    user, proxy, session = call.user, proxy_for(call), call.session
    return await _model_call(
        form, user, proxy, session, "/api/generate", url_idx, stream_default=True, shape="ollama",
        request=request,
    )  # fmt: skip


@router.post("/api/chat")
@router.post("/api/chat/{url_idx}")
async def chat(
    form: OllamaChatForm,
    call: VerifiedCall,
    request: Request,
    url_idx: int | None = None,
) -> Any:
    user, proxy, session = call.user, proxy_for(call), call.session
    form.check_messages()
    return await _model_call(
        form, user, proxy, session, "/api/chat", url_idx, stream_default=True, shape="ollama",
        request=request,
    )  # fmt: skip


@router.post("/api/embed")
@router.post("/api/embed/{url_idx}")
async def embed(
    form: OllamaForm,
    call: VerifiedCall,
    url_idx: int | None = None,
) -> Any:
    user, proxy, session = call.user, proxy_for(call), call.session
    return await _model_call(form, user, proxy, session, "/api/embed", url_idx, stream_default=None)


@router.post("/api/embeddings")
@router.post("/api/embeddings/{url_idx}")
async def embeddings(
    form: OllamaForm,
    call: VerifiedCall,
    url_idx: int | None = None,
) -> Any:
    user, proxy, session = call.user, proxy_for(call), call.session
    return await _model_call(
        form, user, proxy, session, "/api/embeddings", url_idx, stream_default=None
    )


@router.post("/api/show")
async def show(form: OllamaForm, call: VerifiedCall) -> Any:
    return await _model_call(
        form, call.user, proxy_for(call), call.session, "/api/show", None, stream_default=None
    )


async def _admin_call(
    proxy: OllamaProxy,
    method: str,
    path: str,
    body: dict[str, Any],
    url_idx: int | None,
    stream: bool,
) -> Any:
    return await proxy.forward(proxy.node(url_idx), method, path, body, stream)


@router.post("/api/pull")
@router.post("/api/pull/{url_idx}")
async def pull(
    form: OllamaForm, _admin: AdminUser, proxy: Proxy, url_idx: int | None = None
) -> Any:
    body = {**form.body(), "model": form.model_name, "insecure": True}
    return await _admin_call(proxy, "POST", "/api/pull", body, url_idx, _streams(form))


@router.delete("/api/push")
@router.delete("/api/push/{url_idx}")
async def push(
    form: OllamaForm, _admin: AdminUser, proxy: Proxy, url_idx: int | None = None
) -> Any:
    body = {**form.body(), "model": form.model_name}
    return await _admin_call(proxy, "POST", "/api/push", body, url_idx, _streams(form))


@router.post("/api/create")
@router.post("/api/create/{url_idx}")
async def create(
    form: OllamaForm, _admin: AdminUser, proxy: Proxy, url_idx: int | None = None
) -> Any:
    return await _admin_call(proxy, "POST", "/api/create", form.body(), url_idx, _streams(form))


@router.post("/api/copy")
@router.post("/api/copy/{url_idx}")
async def copy(form: CopyForm, _admin: AdminUser, proxy: Proxy, url_idx: int | None = None) -> bool:
    await _admin_call(proxy, "POST", "/api/copy", form.model_dump(), url_idx, False)
    proxy.container.catalog.invalidate()
    return True


@router.delete("/api/delete")
@router.delete("/api/delete/{url_idx}")
async def delete(
    form: OllamaForm, _admin: AdminUser, proxy: Proxy, url_idx: int | None = None
) -> bool:
    body = {"model": form.model_name}
    await _admin_call(proxy, "DELETE", "/api/delete", body, url_idx, False)
    proxy.container.catalog.invalidate()
    return True


@router.post("/api/unload")
async def unload(form: OllamaForm, admin: AdminUser, proxy: Proxy, session: SessionDep) -> Any:
    try:
        name = form.model_name
    except BadRequest:
        raise BadRequest("Missing name of the model to unload.") from None
    resolved = await proxy.resolve(admin, name)
    await end_transaction(session)
    if resolved.base.get("owned_by") == "local" and proxy.container.local is not None:
        await proxy.container.local.unload(str(resolved.base["id"]))
        return {"status": True}
    return await unload_model(proxy.upstream, proxy.config, resolved.base)  # on every node


@router.get("/v1/models")
@router.get("/v1/models/{url_idx}")
async def openai_models(user: VerifiedUser, proxy: Proxy, url_idx: int | None = None) -> Any:
    listed = await proxy.tags(user, url_idx)
    return {
        "object": "list",
        "data": [
            {"id": m["model"], "object": "model", "created": 0, "owned_by": "openai"}
            for m in listed.get("models", [])
        ],
    }


def _openai_compatible(path: str, shape: Shape | None) -> Any:
    async def endpoint(form: OllamaForm, call: VerifiedCall, url_idx: int | None = None) -> Any:
        proxy = proxy_for(call)
        return await _model_call(
            form, call.user, proxy, call.session, path, url_idx, stream_default=False, shape=shape
        )

    return endpoint


# Ollama's OpenAI- and Anthropic-style API, with the shape its params and prompt take.
_V1: dict[str, Shape | None] = {
    "/v1/completions": "openai",
    "/v1/chat/completions": "openai",
    "/v1/embeddings": None,
    "/v1/messages": "anthropic",
    "/v1/responses": "responses",
}
for _path, _shape in _V1.items():
    _name = "ollama_" + _path.strip("/").replace("/", "_")
    _endpoint = _openai_compatible(_path, _shape)
    router.add_api_route(_path, _endpoint, methods=["POST"], name=_name)
    router.add_api_route(_path + "/{url_idx}", _endpoint, methods=["POST"], name=_name + "_idx")
