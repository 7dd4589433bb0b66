"""Run a chat completion or embeddings request through the pipeline to a provider."""

from __future__ import annotations

import inspect
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.completions.pipeline import Payload, Stages, prepare
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.errors import BadRequest
from owlet.functions import runtime as filter_runtime
from owlet.functions.marks import answer_keys, last_assistant
from owlet.functions.outlets import InlineOutlet
from owlet.functions.pipes import run_pipe
from owlet.models.arena import pick
from owlet.models.registry import ModelNotFound, ModelRegistry, ResolvedModel
from owlet.providers.answer import ChatStream, ChunkHook, JsonBody, ModelUnavailable
from owlet.providers.ollama_translate import ShapeError
from owlet.tables import User


def _metadata(body: Payload) -> dict[str, Any]:
    return {
        "chat_id": body.get("chat_id"),
        "message_id": body.get("id"),
        "session_id": body.get("session_id"),
        "files": body.get("files"),
        "filter_ids": body.get("filter_ids"),
    }


def _compose(stages: list[Any]) -> ChunkHook | None:
    if not stages:
        return None
    if len(stages) == 1:
        return stages[0]

    async def run(chunk: dict[str, Any]) -> dict[str, Any] | None:
        current: dict[str, Any] | None = chunk
        for stage in stages:
            if current is None:
                return None
            result = stage(current)
            current = await result if inspect.isawaitable(result) else result
        return current

    return run


class CompletionService:
    def __init__(
        self,
        session: AsyncSession,
        container: Container,
        config: ConfigStore,
        stages: Stages | None = None,
    ) -> None:
        self.session = session
        self.container = container
        self.config = config
        self.stages = stages or Stages()
        self.registry = ModelRegistry(session, container, config)
        self.stream_filters: ChunkHook | None = None  # set by prepare_chat
        self.caller: User | None = None
        self.metadata: dict[str, Any] = {}
        self.outlet: InlineOutlet | None = None  # ENABLE_API_OUTLET_FILTERS: set by prepare_chat

    async def prepare_chat(self, user: User, body: Payload) -> tuple[ResolvedModel, Payload]:
        """Everything that needs the database; the caller then ends the transaction."""
        self.caller, self.metadata = user, _metadata(body)
        model = await self.registry.resolve(user, str(body["model"]))
        if model.base.get("arena"):
            model = await self._arena_pick(user, model)
        payload = prepare(body, user, model, self.config.get("models.default_params"))
        filters = await filter_runtime.filters_for(
            self.session, self.container, model.entry, body.get("filter_ids")
        )
        payload = await filter_runtime.run(
            filters, user, model.entry, "inlet", payload, self.metadata
        )
        self.stream_filters = filter_runtime.stream_hook(filters, user, model.entry, self.metadata)
        if self.container.settings.enable_api_outlet_filters and InlineOutlet.wanted(filters):
            self.outlet = InlineOutlet(
                self.container.outlet_marks, filters, user, model.entry, self.metadata, body
            )
        for stage in self.stages.inlet:
            payload = await stage(payload, user, model)
        return model, payload

    async def _arena_pick(self, user: User, arena: ResolvedModel) -> ResolvedModel:
        selected = pick(arena.base, await self.registry.visible(user))
        if selected is None:
            raise ModelNotFound()
        model = await self.registry.resolve(user, selected)
        if model.base.get("arena"):
            raise ModelNotFound()  # an arena never picks another arena
        model.selected_model_id = selected
        return model

    async def dispatch_chat(
        self, model: ResolvedModel, payload: Payload
    ) -> dict[str, Any] | JsonBody | ChatStream:
        result = await self._answer(model, payload)
        if self.outlet is None:
            return result
        if isinstance(result, ChatStream):
            result.tap(self.outlet.on_stream)
            return result
        body = result.parsed() if isinstance(result, JsonBody) else result
        return await self.outlet.on_completion(body)

    async def _answer(
        self, model: ResolvedModel, payload: Payload
    ) -> dict[str, Any] | JsonBody | ChatStream:
        if model.base.get("pipe") and self.caller is not None:
            return await run_pipe(
                self.session, self.container, self.caller, model.base, payload, self.metadata
            )
        try:
            hooks = [*self.stages.chunk, *([self.stream_filters] if self.stream_filters else [])]
            return await self.container.gateway.chat(
                self.config,
                model.base,
                payload,
                on_chunk=_compose(hooks),
                caller=self.caller.id if self.caller is not None else "",
            )
        except ModelUnavailable as exc:
            raise ModelNotFound() from exc
        except ShapeError as exc:
            raise BadRequest(str(exc)) from exc

    async def completed(self, user: User, body: Payload) -> Payload:
        """Outlet filters on the finished messages, unless they already ran inline on this
        answer (ENABLE_API_OUTLET_FILTERS; see functions/outlets.py)."""
        model = await self.registry.resolve(user, str(body["model"]))
        filters = await filter_runtime.filters_for(
            self.session, self.container, model.entry, body.get("filter_ids")
        )
        answer = last_assistant(body) or {}
        keys = answer_keys(body.get("id") or answer.get("id"), [answer.get("content")])
        if filters and await self.container.outlet_marks.seen(user.id, keys):
            filters = []
        body = await filter_runtime.run(filters, user, model.entry, "outlet", body, _metadata(body))
        for stage in self.stages.outlet:
            body = await stage(body, user)
        return body

    async def prepare_embeddings(self, user: User, body: Payload) -> ResolvedModel:
        return await self.registry.resolve(user, str(body["model"]))

    async def dispatch_embeddings(self, model: ResolvedModel, body: Payload) -> dict[str, Any]:
        try:
            return await self.container.gateway.embeddings(self.config, model.base, body)
        except ModelUnavailable as exc:
            raise ModelNotFound() from exc
