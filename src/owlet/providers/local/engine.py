"""Generation with in-process llama.cpp models, off the event loop.

* A model is loaded on its first request (in a worker thread) and kept.
* Each model answers one request at a time (a llama.cpp context is not thread-safe); the
  others wait in a `FairQueue`, round-robin by user, without holding anything.
* Generations run on the model's own thread (one per model, kept), which hands each chunk
  to the event loop. When the consumer goes away (a client that disconnects closes the
  stream), the thread stops at the next token and the model passes to the next request once
  the thread has let go of it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from queue import SimpleQueue
from typing import Any

import anyio.to_thread

from owlet.core.streams import sse_data
from owlet.providers.gateway import ChatStream, ChunkHook, ModelUnavailable, apply_hook
from owlet.providers.http import UpstreamError
from owlet.providers.local.catalog import LocalModel, LocalModels
from owlet.providers.local.fair import FairQueue
from owlet.providers.ollama_translate import ShapeError
from owlet.settings import Settings

log = logging.getLogger(__name__)

_END = object()  # the generation thread is done
# OpenAI request fields passed to llama.cpp, and the JSON types each may have.
_NUMBER = (int, float)
_PARAMS: dict[str, tuple[type, ...]] = {
    "max_tokens": (int,),
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "top_k": (int,),
    "min_p": _NUMBER,
    "typical_p": _NUMBER,
    "seed": (int,),
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "repeat_penalty": _NUMBER,
    "stop": (str, list),
    "logit_bias": (dict,),
    "response_format": (dict,),
}


class LocalModelError(UpstreamError):
    """llama.cpp refused the request (e.g. a prompt longer than the context)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def request_params(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """(messages, sampling parameters) of an OpenAI chat body, checked; ShapeError if not."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ShapeError("messages must be a non-empty list")
    plain = [_plain(m) for m in messages]
    params: dict[str, Any] = {}
    if body.get("max_completion_tokens") is not None and body.get("max_tokens") is None:
        body = {**body, "max_tokens": body["max_completion_tokens"]}
    for key, types in _PARAMS.items():
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            raise ShapeError(f"{key} has the wrong type")
        params[key] = value
    if "max_tokens" in params and params["max_tokens"] < 1:
        raise ShapeError("max_tokens must be at least 1")
    stop = params.get("stop")
    if isinstance(stop, list) and not all(isinstance(s, str) for s in stop):
        raise ShapeError("stop must be a string or a list of strings")
    if "logit_bias" in params:
        try:
            params["logit_bias"] = {int(k): float(v) for k, v in params["logit_bias"].items()}
        except (TypeError, ValueError) as exc:
            raise ShapeError("logit_bias maps token ids to numbers") from exc
    response_format = params.get("response_format")
    if response_format is not None:
        kind = response_format.get("type")
        if kind == "text":
            del params["response_format"]
        elif kind == "json_schema":
            spec = response_format.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            if not isinstance(schema, dict):
                raise ShapeError("response_format json_schema needs a `schema` object")
            params["response_format"] = {"type": "json_object", "schema": schema}
        elif kind != "json_object":
            raise ShapeError("response_format type must be text, json_object or json_schema")
    return plain, params


def _plain(message: Any) -> dict[str, str]:
    if not isinstance(message, dict):
        raise ShapeError("each message must be an object")
    role = message.get("role")
    if role not in ("system", "developer", "user", "assistant", "tool"):
        raise ShapeError(f"unknown message role: {role!r}")
    content = message.get("content")
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                raise ShapeError("content parts must be objects")
            if part.get("type") == "text":
                texts.append(str(part.get("text") or ""))
            else:
                raise ShapeError("local models take text only")
        content = "".join(texts)
    elif content is None:
        content = ""
    elif not isinstance(content, str):
        raise ShapeError("message content must be a string or a list of parts")
    return {"role": "system" if role == "developer" else str(role), "content": content}


class LocalEngine:
    @classmethod
    def create(cls, settings: Settings) -> LocalEngine | None:
        """The engine, unless ENABLE_LOCAL_MODELS=false or llama-cpp-python is missing."""
        if not settings.enable_local_models:
            return None
        if importlib.util.find_spec("llama_cpp") is None:
            log.info("llama-cpp-python is not installed: no local models")
            return None
        models = LocalModels((settings.data_dir / "models").resolve(), settings.local_model_paths)
        return cls(models, settings.local_models_context, settings.local_models_threads)

    def __init__(self, models: LocalModels, context: int, threads: int) -> None:
        self.models = models
        self.context = context
        self.threads = threads
        self.active = 0  # generation threads running
        self._loaded: dict[str, tuple[LocalModel, Any]] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._turns: dict[str, FairQueue] = {}
        self._jobs: dict[str, SimpleQueue[tuple[Any, ...]]] = {}

    def loaded(self) -> list[str]:
        return sorted(self._loaded)

    def unload(self, model_id: str) -> None:
        """Free the model's memory (a generation under way keeps it until it ends)."""
        self._loaded.pop(model_id, None)

    def model(self, model_id: str) -> LocalModel:
        found = self.models.get(model_id)
        if found is None:
            raise ModelUnavailable(model_id)
        return found

    async def _llama(self, model: LocalModel) -> Any:
        async with self._loading.setdefault(model.id, asyncio.Lock()):
            known = self._loaded.get(model.id)
            if known is not None and known[0] == model:
                return known[1]
            started = time.perf_counter()
            try:
                llama = await anyio.to_thread.run_sync(self._load, model)
            except (OSError, ValueError) as exc:  # not a GGUF llama.cpp can read
                raise LocalModelError(f"Cannot load {model.id}: {exc}") from exc
            log.info("loaded %s in %.2f s", model.id, time.perf_counter() - started)
            self._loaded[model.id] = (model, llama)
            return llama

    def _load(self, model: LocalModel) -> Any:
        from llama_cpp import Llama  # imported on first use: it costs a start-up otherwise

        options: dict[str, Any] = {"n_ctx": self.context, "verbose": False}
        if self.threads > 0:
            options["n_threads"] = self.threads
        return Llama(model_path=str(model.path), **options)

    async def chunks(
        self, model_id: str, body: dict[str, Any], user: str
    ) -> AsyncIterator[dict[str, Any]]:
        """The answer as OpenAI `chat.completion.chunk`s; the last one carries `usage`."""
        model = self.model(model_id)
        messages, params = request_params(body)
        turn = self._turns.setdefault(model.id, FairQueue())
        await turn.acquire(user)
        stop = threading.Event()
        started = False
        try:
            llama = await self._llama(model)
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[Any] = asyncio.Queue()
            self._worker(model.id).put((llama, messages, params, stop, loop, queue, turn))
            self.active += 1
            started = True
            while (item := await queue.get()) is not _END:
                if isinstance(item, BaseException):
                    raise LocalModelError(str(item)) from item
                yield {**item, "model": model.id}
        finally:
            stop.set()  # a consumer that left stops the thread at its next token
            if not started:
                turn.release()

    def _worker(self, model_id: str) -> SimpleQueue[tuple[Any, ...]]:
        """The model's generation thread, started on first use and kept: llama.cpp called
        from a new thread each time pays 20-40 ms more to the first token (measured)."""
        jobs = self._jobs.get(model_id)
        if jobs is None:
            jobs = self._jobs[model_id] = SimpleQueue()
            name = f"owlet-local-{model_id}"
            threading.Thread(target=self._serve, args=(jobs,), name=name, daemon=True).start()
        return jobs

    def _serve(self, jobs: SimpleQueue[tuple[Any, ...]]) -> None:
        while True:
            self._generate(*jobs.get())

    def _generate(
        self,
        llama: Any,
        messages: list[dict[str, str]],
        params: dict[str, Any],
        stop: threading.Event,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[Any],
        turn: FairQueue,
    ) -> None:
        def hand(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop has closed
                stop.set()

        tokens = 0
        try:
            stream = llama.create_chat_completion(messages=messages, stream=True, **params)
            last: dict[str, Any] | None = None  # the chunk with `finish_reason`, held back
            for chunk in stream:
                if stop.is_set():
                    break
                choice = (chunk.get("choices") or [{}])[0]
                tokens += 1 if (choice.get("delta") or {}).get("content") else 0
                if choice.get("finish_reason") is None:
                    hand(chunk)
                else:
                    last = chunk  # it gets `usage` below
            if last is not None and not stop.is_set():
                prompt = max(int(getattr(llama, "n_tokens", 0)) - tokens, 0)
                usage = {"prompt_tokens": prompt, "completion_tokens": tokens,
                         "total_tokens": prompt + tokens}  # fmt: skip
                hand({**last, "usage": usage})
            hand(_END)
        except Exception as exc:  # llama.cpp's refusal, handed to the consumer
            hand(exc)
        finally:
            try:
                loop.call_soon_threadsafe(self._finished, turn)
            except RuntimeError:
                pass

    def _finished(self, turn: FairQueue) -> None:
        self.active -= 1
        turn.release()

    async def chat(
        self, model_id: str, body: dict[str, Any], user: str, on_chunk: ChunkHook | None = None
    ) -> dict[str, Any] | ChatStream:
        """An OpenAI chat body answered as a `chat.completion`, or as a `ChatStream`."""
        self.model(model_id)
        request_params(body)  # a bad request is a 400 now, not an error frame later
        chunks = self.chunks(model_id, body, user)
        if body.get("stream"):
            stack = AsyncExitStack()
            stack.push_async_callback(chunks.aclose)  # type: ignore[attr-defined]
            return ChatStream(stack, _frames(chunks, on_chunk))
        try:
            return completion([c async for c in chunks], model_id)
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]


async def _frames(
    chunks: AsyncIterator[dict[str, Any]], on_chunk: ChunkHook | None
) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        changed = chunk if on_chunk is None else await apply_hook(on_chunk, chunk)
        if changed is not None:
            yield sse_data(changed)
    yield sse_data("[DONE]")


def completion(chunks: list[dict[str, Any]], model_id: str) -> dict[str, Any]:
    """Streamed chunks joined into one `chat.completion`."""
    text = "".join(
        str(((c.get("choices") or [{}])[0].get("delta") or {}).get("content") or "") for c in chunks
    )
    last = chunks[-1] if chunks else {}
    finish = ((last.get("choices") or [{}])[0]).get("finish_reason") or "stop"
    return {
        "id": last.get("id") or f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": last.get("created") or int(time.time()),
        "model": model_id,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "logprobs": None, "finish_reason": finish}],
        "usage": last.get("usage") or {},
    }  # fmt: skip
