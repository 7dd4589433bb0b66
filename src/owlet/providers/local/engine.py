"""Local models answered by their engine processes, with fair slots.

* Each model has an engine process (`supervisor.py`), started on its first request: llama.cpp's
  server, answering `LOCAL_MODELS_PARALLEL` requests together (continuous batching).
* More requests than slots wait in a `FairQueue`, round-robin by user, holding nothing.
* A request is relayed to the engine as to any OpenAI-compatible upstream, frame by frame;
  a client that leaves closes the engine's response, which stops that slot's generation.
* If the engine dies under a request, the request ends with a clear error (a 502, or an
  error event in a stream) and the next one starts a new engine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from owlet.core.streams import DONE, iter_sse, parse_frame
from owlet.providers.answer import ChatStream, ChunkHook, JsonBody, ModelUnavailable, openai_frames
from owlet.providers.http import UpstreamClient, UpstreamError, body_chunks, error_message
from owlet.providers.local.catalog import LocalModel, LocalModels
from owlet.providers.local.fair import FairQueue
from owlet.providers.local.request import chat_payload
from owlet.providers.local.supervisor import EngineProcess, EngineSpec
from owlet.settings import Settings

log = logging.getLogger(__name__)


class LocalEngine:
    @classmethod
    def create(cls, settings: Settings, upstream: UpstreamClient) -> LocalEngine | None:
        """The engine, unless ENABLE_LOCAL_MODELS=false or xllamacpp is not installed (it is
        looked for, never imported: only the engine processes load it)."""
        if not settings.enable_local_models:
            return None
        if importlib.util.find_spec("xllamacpp") is None:
            log.info("xllamacpp is not installed: no local models")
            return None
        models = LocalModels((settings.data_dir / "models").resolve(), settings.local_model_paths)
        return cls(
            models,
            upstream,
            context=settings.local_models_context,
            parallel=settings.local_models_parallel,
            threads=settings.local_models_threads,
        )

    def __init__(
        self,
        models: LocalModels,
        upstream: UpstreamClient,
        *,
        context: int,
        parallel: int,
        threads: int,
    ) -> None:
        self.models = models
        self.upstream = upstream
        self.context = context
        self.parallel = parallel
        self.threads = threads
        self._engines: dict[str, EngineProcess] = {}
        self._turns: dict[str, FairQueue] = {}
        self._retiring: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> int:
        """Requests holding a slot, over all models."""
        return sum(turn.busy for turn in self._turns.values())

    def loaded(self) -> list[str]:
        """Models whose engine is running."""
        return sorted(m for m, engine in self._engines.items() if engine.running)

    def engine(self, model_id: str) -> EngineProcess | None:
        return self._engines.get(model_id)

    async def unload(self, model_id: str) -> None:
        """Stop the model's engine (requests under way end with an error)."""
        engine = self._engines.get(model_id)
        if engine is not None:
            await engine.stop()

    async def close(self) -> None:
        await asyncio.gather(*(e.stop() for e in self._engines.values()), *self._retiring)

    def model(self, model_id: str) -> LocalModel:
        found = self.models.get(model_id)
        if found is None:
            raise ModelUnavailable(model_id)
        return found

    def _engine_for(self, model: LocalModel) -> EngineProcess:
        engine = self._engines.get(model.id)
        if engine is None or engine.spec.model != model:  # new, or its file changed
            spec = EngineSpec(model, self.context, self.parallel, self.threads)
            if engine is not None:  # requests under way on the old one end with an error
                log.info("local model %s changed on disk: a new engine", model.id)
                task = asyncio.ensure_future(engine.stop())
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)
            engine = self._engines[model.id] = EngineProcess(spec)
        return engine

    async def chat(
        self, model_id: str, body: dict[str, Any], user: str, on_chunk: ChunkHook | None = None
    ) -> JsonBody | ChatStream:
        """An OpenAI chat body answered as a `chat.completion` (JSON bytes from the engine),
        or as a `ChatStream`; `user` is whose turn it is when requests queue."""
        model = self.model(model_id)
        payload = chat_payload(body, model.id)  # a bad request is a 400 before any queue
        stack = AsyncExitStack()
        try:
            engine, response = await self._open(stack, model, payload, user)
            if response is None:
                try:
                    conn = await engine.connection()
                    raw = await self.upstream.request_raw(
                        conn, "POST", "/chat/completions", json_body=payload
                    )
                except UpstreamError as exc:
                    raise await engine.explain(exc) from exc
                await stack.aclose()
                return JsonBody(raw)
        except BaseException:
            await stack.aclose()
            raise
        frames = openai_frames(on_chunk)(_explained(engine, body_chunks(response)))
        return ChatStream(stack, frames)

    async def _open(
        self, stack: AsyncExitStack, model: LocalModel, payload: dict[str, Any], user: str
    ) -> tuple[EngineProcess, Any]:
        """Take a slot (released when `stack` closes) and, for a stream, open the engine's
        response; (engine, None) for a whole answer."""
        turn = self._turns.setdefault(model.id, FairQueue(self.parallel))
        await turn.acquire(user)
        stack.callback(turn.release)
        engine = self._engine_for(model)
        if not payload.get("stream"):
            return engine, None
        try:
            conn = await engine.connection()
            response = await stack.enter_async_context(
                self.upstream.stream(conn, "POST", "/chat/completions", json_body=payload)
            )
        except UpstreamError as exc:
            raise await engine.explain(exc) from exc
        return engine, response

    async def chunks(
        self, model_id: str, body: dict[str, Any], user: str
    ) -> AsyncIterator[dict[str, Any]]:
        """The answer as OpenAI `chat.completion.chunk`s (for the Ollama routes); the one
        with `finish_reason` carries `usage`. Errors are raised as UpstreamError."""
        model = self.model(model_id)
        payload = chat_payload({**body, "stream": True}, model.id)
        async with AsyncExitStack() as stack:
            engine, response = await self._open(stack, model, payload, user)
            held: dict[str, Any] | None = None  # the chunk with `finish_reason`
            async for event in iter_sse(_explained(engine, body_chunks(response))):
                if event.data == DONE:
                    break
                chunk = parse_frame(event.data)
                if chunk.get("error"):
                    raise UpstreamError(502, error_message(chunk, "Local model error"), chunk)
                if not chunk.get("choices"):  # the usage chunk, last
                    if held is not None:
                        yield {**held, "usage": chunk.get("usage") or {}}
                        held = None
                    continue
                if chunk["choices"][0].get("finish_reason") is not None:
                    held = chunk
                else:
                    yield chunk
            if held is not None:
                yield held


async def _explained(engine: EngineProcess, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The engine's body; a broken stream is reported as the engine's crash if it was one."""
    try:
        async for chunk in chunks:
            yield chunk
    except UpstreamError as exc:
        raise await engine.explain(exc) from exc
