"""A real HTTP server that plays an OpenAI-compatible and an Ollama upstream for gateway tests.

`FakeUpstream` runs uvicorn (a Starlette app) on 127.0.0.1 with an OS-chosen port, in a
background thread with its own event loop. It serves both wire protocols from one port:

* OpenAI: `/v1/models`, `/v1/models/{id}`, `/v1/chat/completions`, `/v1/completions`,
  `/v1/embeddings` (also what Ollama itself serves under `/v1`), `/v1/responses`, and
  Anthropic's `/v1/messages/count_tokens`.
* Ollama: `/`, `/api/version`, `/api/tags`, `/api/ps`, `/api/chat`, `/api/generate`,
  `/api/embed`, `/api/embeddings`, `/api/show`, `/api/pull`, `/api/push`, `/api/create`,
  `/api/copy`, `/api/delete`.

Every reply is scripted from `tokens`; streams send one token per frame, each frame written to
the socket as soon as it is produced. Every request is recorded in `requests`.

Faults come from the `fault` attribute (applies to every route) or from the request's model id
(`fault-<name>` anywhere in the id, e.g. `fault-500`); the model id wins. Fault model ids need
not be listed in `models`. The faults:

* `500`, `429`: the status with the wire's own error body.
* `500-html`, `502-empty`, `429-text`, `503-odd`: the status with an odd body (an HTML page;
  nothing; plain text with a `Retry-After`; JSON whose `error` has no message).
* `reset`: the connection is dropped (before any byte, or after two frames of a stream).
* `slow`: the reply (headers and all) waits `slow_delay` seconds.
* `stall`: a stream sends two frames, then waits `slow_delay` seconds before the rest.
* `garbage`: a stream's second frame is not JSON; a JSON reply is not JSON.
* `html`: a 200 HTML page instead of the JSON or stream asked for.
* `huge`: a reply of more than `huge_size` bytes: one enormous content token (for a stream,
  one frame of that size).
* `nostream`: `stream: true` is ignored and one JSON body comes back.

    with FakeUpstream(token_delay=0.05) as up:
        httpx.post(f"{up.openai_url}/chat/completions", json={...})
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["FAULTS", "FakeUpstream", "RecordedRequest", "embedding_for"]

Wire = Literal["openai", "ollama"]
Frame = dict[str, Any] | str  # a JSON object, or a raw payload such as "[DONE]"

FAULTS: tuple[str, ...] = (
    "500", "429", "500-html", "502-empty", "429-text", "503-odd",
    "reset", "slow", "stall", "garbage", "html", "huge", "nostream",
)  # fmt: skip
_ODD_STATUS = {"500-html": 500, "502-empty": 502, "429-text": 429, "503-odd": 503}
HTML_PAGE = b"<html><head><title>Oops</title></head><body><h1>It broke</h1></body></html>"

DEFAULT_MODELS: tuple[str, ...] = ("fake-gpt", "fake-llama:latest")
DEFAULT_TOKENS: tuple[str, ...] = ("Hello", ",", " world", "!")
OLLAMA_VERSION = "0.9.0"
MODEL_CREATED = 1_700_000_000
MODIFIED_AT = "2026-01-01T00:00:00Z"
TOOL_ARGUMENTS = '{"x": 1}'
EMBEDDING_DIM = 8

_TRANSPORT_KEY = "fake_upstream.transport"
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_OLLAMA_DETAILS: dict[str, Any] = {
    "parent_model": "",
    "format": "gguf",
    "family": "llama",
    "families": ["llama"],
    "parameter_size": "8B",
    "quantization_level": "Q4_0",
}


def embedding_for(text: str) -> list[float]:
    """The deterministic 8-dim vector both protocols return for `text` (values in [-1, 1])."""
    digest = hashlib.sha256(text.encode()).digest()
    return [
        round(int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 0xFFFFFFFF * 2 - 1, 6)
        for i in range(EMBEDDING_DIM)
    ]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    json: Any  # parsed body, or None when empty or not JSON
    body: bytes


@dataclass
class _Stream:
    frames: list[Frame]


Reply = dict[str, Any] | Response | _Stream


@dataclass
class _Call:
    request: Request
    wire: Wire
    body: dict[str, Any]
    model: str
    stream: bool
    fault: str | None


Handler = Callable[[_Call], Reply]


class _Abort(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


class _Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, exposing the connection's transport in the ASGI scope.

    The `reset` fault needs it to drop the TCP connection in the middle of a response.
    """

    def on_message_begin(self) -> None:
        super().on_message_begin()
        cast(dict[str, Any], self.scope)[_TRANSPORT_KEY] = self.transport


def _normalize_fault(value: str | None) -> str | None:
    if value is None:
        return None
    name = str(value).removeprefix("fault-")
    if name not in FAULTS:
        raise ValueError(f"unknown fault {value!r}; expected one of {FAULTS}")
    return name


def _fault_in_model(model: str) -> str | None:
    for name in sorted(FAULTS, key=len, reverse=True):  # `fault-500-html` is not `fault-500`
        if f"fault-{name}" in model:
            return name
    return None


def _count_words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_count_words(item) for item in value)
    if isinstance(value, dict):
        return _count_words(value.get("content")) + _count_words(value.get("text"))
    return 0


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if value and all(isinstance(item, int) for item in value):
            return [json.dumps(value)]  # one pre-tokenized input
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return []


def _first_tool_name(body: dict[str, Any]) -> str | None:
    tools = body.get("tools")
    if not isinstance(tools, list) or not tools or body.get("tool_choice") == "none":
        return None
    messages = body.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else None
    if isinstance(last, dict) and last.get("role") == "tool":
        return None  # it has its tool's answer: it answers in words, as a model would
    tool = tools[0] if isinstance(tools[0], dict) else {}
    function = tool.get("function")
    name = function.get("name") if isinstance(function, dict) else tool.get("name")
    return str(name) if name else "tool"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _ollama_stats(prompt_count: int, eval_count: int) -> dict[str, int]:
    return {
        "total_duration": 5_000_000,
        "load_duration": 1_000_000,
        "prompt_eval_count": prompt_count,
        "prompt_eval_duration": 1_000_000,
        "eval_count": eval_count,
        "eval_duration": 2_000_000,
    }


def _encode(wire: Wire, frame: Frame) -> bytes:
    payload = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"))
    return f"data: {payload}\n\n".encode() if wire == "openai" else f"{payload}\n".encode()


def _openai_error(
    status: int, message: str, type_: str, code: str | None = None, param: str | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _ollama_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class FakeUpstream:
    """A live OpenAI + Ollama upstream on 127.0.0.1 for tests; see the module docstring.

    All attributes may be changed while the server runs; each request reads them afresh.
    """

    def __init__(
        self,
        models: list[str] | None = None,
        tokens: list[str] | None = None,
        *,
        token_delay: float = 0.0,
        first_byte_delay: float = 0.0,
        api_key: str | None = None,
        fault: str | None = None,
        slow_delay: float = 5.0,
        huge_size: int = 1024 * 1024,
        timeout_keep_alive: int = 30,
    ) -> None:
        self.models: list[str] = list(DEFAULT_MODELS if models is None else models)
        self.tokens: list[str] = list(DEFAULT_TOKENS if tokens is None else tokens)
        self.token_delay = token_delay
        self.first_byte_delay = first_byte_delay
        self.api_key = api_key
        self.slow_delay = slow_delay
        self.huge_size = huge_size
        self.timeout_keep_alive = timeout_keep_alive
        self.requests: list[RecordedRequest] = []
        # Streams being sent right now, and streams the client abandoned mid-way.
        self.active_streams = 0
        self.cancelled_streams = 0
        self._fault: str | None = _normalize_fault(fault)
        self._lock = threading.Lock()
        self._port = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._stopping = False
        self._app = Starlette(routes=self._routes())

    # ------------------------------------------------------------------ public API

    @property
    def fault(self) -> str | None:
        """Fault applied to every request (one of `FAULTS`, or None)."""
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        self._fault = _normalize_fault(value)

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeUpstream has not been started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def reply_text(self) -> str:
        """The full scripted reply (all tokens joined)."""
        return "".join(self.tokens)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self.requests:
                raise LookupError("FakeUpstream has received no requests")
            return self.requests[-1]

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests for `path` (and `method`, when given), oldest first."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == path and (method is None or r.method == method.upper())
            ]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    embedding_for = staticmethod(embedding_for)

    def start(self) -> FakeUpstream:
        """Start serving; returns once the port accepts connections.

        After `stop()` it may be started again, on the same port when that is still free.
        """
        if self._thread is not None:
            raise RuntimeError("FakeUpstream is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self._port))
            sock.listen(4096)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            host="127.0.0.1",
            port=self._port,
            loop="uvloop",
            http=_Protocol,
            interface="asgi3",
            proxy_headers=False,
            ws="none",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            limit_concurrency=None,
            backlog=4096,
            timeout_keep_alive=self.timeout_keep_alive,
        )
        ready = threading.Event()
        self._error = None
        self._stopping = False
        thread = threading.Thread(
            target=self._thread_main,
            args=(config, sock, ready),
            name=f"FakeUpstream:{self._port}",
            daemon=True,
        )
        self._thread = thread
        thread.start()
        if not ready.wait(timeout=10) or self._error is not None or not thread.is_alive():
            self.stop()
            raise RuntimeError("FakeUpstream failed to start") from self._error
        return self

    def stop(self) -> None:
        """Stop serving: open connections are dropped, in-flight handlers cancelled."""
        thread = self._thread
        if thread is None:
            return
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop has already closed
                pass
        thread.join(timeout=10)
        if thread.is_alive():
            raise RuntimeError("FakeUpstream server thread did not stop")
        self._thread = None
        self._loop = None
        self._stop_event = None
        error, self._error = self._error, None
        if error is not None:
            raise RuntimeError("FakeUpstream server thread failed") from error

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._port else "not started"
        return f"<FakeUpstream {where} models={self.models!r} fault={self._fault!r}>"

    # ------------------------------------------------------------------ server thread

    def _thread_main(
        self, config: uvicorn.Config, sock: socket.socket, ready: threading.Event
    ) -> None:
        try:
            with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
                runner.run(self._serve(config, sock, ready))
        except BaseException as exc:  # surfaced by start()/stop()
            self._error = exc
        finally:
            sock.close()
            ready.set()

    async def _serve(
        self, config: uvicorn.Config, sock: socket.socket, ready: threading.Event
    ) -> None:
        self._loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        self._stop_event = stop
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                await serving
                raise RuntimeError("uvicorn exited during startup")
            await asyncio.sleep(0.002)
        ready.set()
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done() and not serving.cancelled() and serving.exception() is not None:
            self._error = serving.exception()
        # Tear down without uvicorn's graceful shutdown, which waits for streams to finish.
        self._stopping = True
        for task in (serving, stopping):
            task.cancel()
        await asyncio.gather(serving, stopping, return_exceptions=True)
        listeners: list[asyncio.AbstractServer] = list(getattr(server, "servers", []))
        for listener in listeners:
            listener.close()
        self._abort_connections(server)
        await asyncio.sleep(0)  # let connection_lost run, which ends streaming responses
        tasks = [task for task in server.server_state.tasks if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._abort_connections(server)
        await asyncio.sleep(0)
        for listener in listeners:
            await listener.wait_closed()

    @staticmethod
    def _abort_connections(server: uvicorn.Server) -> None:
        for connection in list(server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._app(scope, receive, send)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # stop() cancelled this request; end quietly, the connection is already gone.

    # ------------------------------------------------------------------ request plumbing

    def _routes(self) -> list[Route]:
        oa: Wire = "openai"
        ol: Wire = "ollama"
        model = ("model",)
        name = ("model", "name")
        ep = self._endpoint
        return [
            # OpenAI (and Ollama's OpenAI-compatible /v1)
            Route("/v1/models", ep(oa, self._openai_models), methods=["GET"]),
            Route("/v1/models/{model_id:path}", ep(oa, self._openai_model), methods=["GET"]),
            Route(
                "/v1/chat/completions",
                ep(oa, self._openai_chat, model, stream_default=False),
                methods=["POST"],
            ),
            Route(
                "/v1/completions",
                ep(oa, self._openai_completion, model, stream_default=False),
                methods=["POST"],
            ),
            Route("/v1/embeddings", ep(oa, self._openai_embeddings, model), methods=["POST"]),
            Route(
                "/v1/responses",
                ep(oa, self._openai_responses, model, stream_default=False),
                methods=["POST"],
            ),
            Route(
                "/v1/messages/count_tokens",
                ep(oa, self._count_tokens, model),
                methods=["POST"],
            ),
            # Ollama
            Route("/", ep(ol, self._ollama_root), methods=["GET"]),
            Route("/api/version", ep(ol, self._ollama_version), methods=["GET"]),
            Route("/api/tags", ep(ol, self._ollama_tags), methods=["GET"]),
            Route("/api/ps", ep(ol, self._ollama_ps), methods=["GET"]),
            Route(
                "/api/chat", ep(ol, self._ollama_chat, model, stream_default=True), methods=["POST"]
            ),
            Route(
                "/api/generate",
                ep(ol, self._ollama_generate, model, stream_default=True),
                methods=["POST"],
            ),
            Route("/api/embed", ep(ol, self._ollama_embed, model), methods=["POST"]),
            Route("/api/embeddings", ep(ol, self._ollama_embeddings, model), methods=["POST"]),
            Route("/api/show", ep(ol, self._ollama_show, name), methods=["POST"]),
            Route(
                "/api/pull",
                ep(ol, self._ollama_pull, name, stream_default=True, must_exist=False),
                methods=["POST"],
            ),
            Route(
                "/api/push", ep(ol, self._ollama_push, name, stream_default=True), methods=["POST"]
            ),
            Route(
                "/api/create",
                ep(ol, self._ollama_create, name, stream_default=True, must_exist=False),
                methods=["POST"],
            ),
            Route("/api/copy", ep(ol, self._ollama_copy, ("source",)), methods=["POST"]),
            Route("/api/delete", ep(ol, self._ollama_delete, name), methods=["DELETE"]),
            Route("/{path:path}", self._not_found, methods=_ALL_METHODS),
        ]

    def _endpoint(
        self,
        wire: Wire,
        handler: Handler,
        model_keys: tuple[str, ...] = (),
        *,
        stream_default: bool | None = None,
        must_exist: bool = True,
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await self._handle(
                    request, wire, handler, model_keys, stream_default, must_exist
                )
            except _Abort as abort:
                return abort.response

        return endpoint

    async def _handle(
        self,
        request: Request,
        wire: Wire,
        handler: Handler,
        model_keys: tuple[str, ...],
        stream_default: bool | None,
        must_exist: bool,
    ) -> Response:
        body = await self._begin(request, wire)
        model = next((str(body[k]) for k in model_keys if body.get(k)), "")
        fault = _fault_in_model(model) or self._fault
        stream = stream_default is not None and bool(body.get("stream", stream_default))
        if fault == "nostream":
            stream = False  # a server that ignores `stream: true` and sends one JSON body
        call = _Call(request, wire, body, model, stream, fault)
        if fault in ("500", "429"):
            return self._fault_error(wire, fault)
        if fault in _ODD_STATUS:
            return self._odd_error(fault)
        if model_keys and must_exist and _fault_in_model(model) is None:
            self._require_model(wire, model)
        delay = self.slow_delay if fault == "slow" else 0.0
        if model_keys and not delay:
            delay = self.first_byte_delay
        if delay > 0:
            await asyncio.sleep(delay)
        if fault == "reset" and not stream:
            await self._drop_connection(request)
            return Response(status_code=204)  # never sent: the connection is gone
        if fault == "html":
            return Response(HTML_PAGE, media_type="text/html")
        if fault == "huge":
            self.tokens, tokens = ["x" * self.huge_size], self.tokens
            try:
                reply = handler(call)
            finally:
                self.tokens = tokens
        else:
            reply = handler(call)
        if isinstance(reply, _Stream):
            media = (
                "text/event-stream; charset=utf-8" if wire == "openai" else "application/x-ndjson"
            )
            headers = {"cache-control": "no-cache"}
            return StreamingResponse(
                self._emit(call, reply.frames), media_type=media, headers=headers
            )
        if fault == "garbage":
            return Response(b"not json", media_type="application/json")
        return reply if isinstance(reply, Response) else JSONResponse(reply)

    async def _begin(self, request: Request, wire: Wire) -> dict[str, Any]:
        """Record the request, check the API key and parse the JSON body."""
        raw = await request.body()
        parsed: Any = None
        bad_json = False
        if raw.strip():
            try:
                parsed = json.loads(raw)
            except ValueError:
                bad_json = True
        self._record(request, raw, parsed)
        if not self._authorized(request):
            if wire == "openai":
                raise _Abort(
                    _openai_error(
                        401,
                        "Incorrect API key provided.",
                        "invalid_request_error",
                        "invalid_api_key",
                    )
                )
            raise _Abort(_ollama_error(401, "unauthorized"))
        if bad_json or (parsed is not None and not isinstance(parsed, dict)):
            if wire == "openai":
                message = "We could not parse the JSON body of your request."
                raise _Abort(_openai_error(400, message, "invalid_request_error"))
            raise _Abort(_ollama_error(400, "invalid JSON body"))
        return parsed if isinstance(parsed, dict) else {}

    def _record(self, request: Request, raw: bytes, parsed: Any) -> None:
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers=headers,
            json=parsed,
            body=raw,
        )
        with self._lock:
            self.requests.append(recorded)

    def _authorized(self, request: Request) -> bool:
        return self.api_key is None or request.headers.get("authorization") == (
            f"Bearer {self.api_key}"
        )

    def _resolve(self, wire: Wire, model: str) -> str | None:
        """The served model `model` names: exact for OpenAI, `:latest`-tolerant for Ollama."""
        models = list(self.models)
        if model in models:
            return model
        if wire == "ollama" and model:
            for candidate in (f"{model}:latest", model.removesuffix(":latest")):
                if candidate in models:
                    return candidate
        return None

    def _require_model(self, wire: Wire, model: str) -> str:
        resolved = self._resolve(wire, model)
        if resolved is not None:
            return resolved
        if wire == "openai":
            if not model:
                message = "you must provide a model parameter"
                raise _Abort(_openai_error(400, message, "invalid_request_error"))
            message = f"The model `{model}` does not exist"
            raise _Abort(_openai_error(404, message, "invalid_request_error", "model_not_found"))
        if not model:
            raise _Abort(_ollama_error(400, "model is required"))
        raise _Abort(_ollama_error(404, f"model '{model}' not found"))

    @staticmethod
    def _fault_error(wire: Wire, fault: str) -> Response:
        if fault == "429":
            if wire == "openai":
                return _openai_error(429, "rate limited", "requests", "rate_limit_exceeded")
            return _ollama_error(429, "rate limited")
        message = "fake upstream: internal server error"
        if wire == "openai":
            return _openai_error(500, message, "server_error")
        return _ollama_error(500, message)

    @staticmethod
    def _odd_error(fault: str) -> Response:
        status = _ODD_STATUS[fault]
        if fault == "500-html":
            return Response(HTML_PAGE, status_code=status, media_type="text/html")
        if fault == "429-text":
            headers = {"Retry-After": "7"}
            return PlainTextResponse("slow down", status_code=status, headers=headers)
        if fault == "503-odd":
            return JSONResponse({"error": {"code": status}}, status_code=status)
        return Response(b"", status_code=status)

    async def _emit(self, call: _Call, frames: list[Frame]) -> AsyncIterator[bytes]:
        reset_at = min(2, len(frames) - 1) if call.fault == "reset" else -1
        stall_at = min(2, len(frames) - 1) if call.fault == "stall" else -1
        self.active_streams += 1
        try:
            for index, frame in enumerate(frames):
                if index > 0 and self.token_delay > 0:
                    await asyncio.sleep(self.token_delay)
                if index == reset_at:
                    await self._break_stream(call.request)
                    return
                if index == stall_at:
                    await asyncio.sleep(self.slow_delay)
                yield _encode(call.wire, frame)
                if index == 0 and call.fault == "garbage":
                    yield b"data: {not json\n\n" if call.wire == "openai" else b"{not json\n"
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled_streams += 1  # the client (owlet) went away mid-stream
            raise
        finally:
            self.active_streams -= 1

    @staticmethod
    def _transport(request: Request) -> asyncio.Transport:
        transport = request.scope.get(_TRANSPORT_KEY)
        if transport is None:
            raise ConnectionAbortedError("fake upstream reset (no transport to close)")
        return cast(asyncio.Transport, transport)

    async def _break_stream(self, request: Request) -> None:
        """Close the socket mid-body; what was written is flushed, the chunked body never ends.

        Starlette notices the disconnect and cancels this stream, so the wait never completes.
        """
        self._transport(request).close()
        await asyncio.sleep(30)

    async def _drop_connection(self, request: Request) -> None:
        """Close the socket before any response bytes and wait until uvicorn has noticed."""
        self._transport(request).close()
        async with asyncio.timeout(5):
            while (await request.receive())["type"] != "http.disconnect":
                pass

    async def _not_found(self, request: Request) -> Response:
        wire: Wire = "ollama" if not request.url.path.startswith("/v1") else "openai"
        raw = await request.body()
        self._record(request, raw, None)
        if wire == "openai":
            message = f"Invalid URL ({request.method} {request.url.path})"
            return _openai_error(404, message, "invalid_request_error")
        return PlainTextResponse("404 page not found", status_code=404)

    # ------------------------------------------------------------------ OpenAI handlers

    @staticmethod
    def _openai_model_object(model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "fake"}

    def _openai_models(self, call: _Call) -> Reply:
        return {"object": "list", "data": [self._openai_model_object(m) for m in self.models]}

    def _openai_model(self, call: _Call) -> Reply:
        model = str(call.request.path_params["model_id"])
        return self._openai_model_object(self._require_model("openai", model))

    def _openai_responses(self, call: _Call) -> Reply:
        """The Responses API: one output message; streams as typed `data:` events."""
        response_id = f"resp_{uuid.uuid4().hex[:24]}"
        text = "".join(self.tokens)
        output = [
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex[:12]}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ]
        done = {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "model": call.model,
            "status": "completed",
            "output": output,
            "usage": {"input_tokens": 1, "output_tokens": len(self.tokens), "total_tokens": 0},
        }
        if not call.stream:
            return done
        frames: list[Frame] = [{"type": "response.created", "response": {**done, "output": []}}]
        for token in self.tokens:
            frames.append({"type": "response.output_text.delta", "delta": token})
        frames.append({"type": "response.completed", "response": done})
        return _Stream(frames)

    def _count_tokens(self, call: _Call) -> Reply:
        """Anthropic's `/v1/messages/count_tokens`: one token per word of the messages."""
        return {"input_tokens": max(1, _count_words(call.body.get("messages")))}

    def _openai_chat(self, call: _Call) -> Reply:
        body = call.body
        chat_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        tokens = list(self.tokens)
        tool = _first_tool_name(body)
        prompt_tokens = max(1, _count_words(body.get("messages")))
        completion_tokens = 5 if tool else len(tokens)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        finish = "tool_calls" if tool else "stop"
        head = {
            "id": chat_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": call.model,
        }
        if not call.stream:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(tokens)}
            if tool:
                function = {"name": tool, "arguments": TOOL_ARGUMENTS}
                call_obj = {"id": "call_1", "type": "function", "function": function}
                message = {"role": "assistant", "content": None, "tool_calls": [call_obj]}
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            return {
                "id": chat_id,
                "object": "chat.completion",
                "created": created,
                "model": call.model,
                "choices": [choice],
                "usage": usage,
            }
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            frame = {**head, "choices": [choice]}
            if include_usage:
                frame["usage"] = None
            return frame

        frames: list[Frame] = []
        if tool:
            first = {"index": 0, "id": "call_1", "type": "function"}
            first["function"] = {"name": tool, "arguments": ""}
            frames.append(chunk({"role": "assistant", "content": None, "tool_calls": [first]}))
            half = len(TOOL_ARGUMENTS) // 2
            for piece in (TOOL_ARGUMENTS[:half], TOOL_ARGUMENTS[half:]):
                delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
                frames.append(chunk(delta))
        else:
            frames.append(chunk({"role": "assistant", "content": ""}))
            frames.extend(chunk({"content": token}) for token in tokens)
        frames.append(chunk({}, finish))
        if include_usage:
            frames.append({**head, "choices": [], "usage": usage})
        frames.append("[DONE]")
        return _Stream(frames)

    def _openai_completion(self, call: _Call) -> Reply:
        body = call.body
        completion_id = f"cmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        tokens = list(self.tokens)
        prompt_tokens = max(1, _count_words(body.get("prompt")))
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": prompt_tokens + len(tokens),
        }
        head = {
            "id": completion_id,
            "object": "text_completion",
            "created": created,
            "model": call.model,
        }

        def choice(text: str, finish_reason: str | None) -> dict[str, Any]:
            return {"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}

        if not call.stream:
            return {**head, "choices": [choice("".join(tokens), "stop")], "usage": usage}
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        frames: list[Frame] = [{**head, "choices": [choice(token, None)]} for token in tokens]
        frames.append({**head, "choices": [choice("", "stop")]})
        if include_usage:
            frames.append({**head, "choices": [], "usage": usage})
        frames.append("[DONE]")
        return _Stream(frames)

    def _openai_embeddings(self, call: _Call) -> Reply:
        texts = _texts(call.body.get("input"))
        base64_format = call.body.get("encoding_format") == "base64"
        data: list[dict[str, Any]] = []
        for index, text in enumerate(texts):
            vector = embedding_for(text)
            embedding: Any = vector
            if base64_format:
                packed = struct.pack(f"<{len(vector)}f", *vector)
                embedding = base64.b64encode(packed).decode()
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        tokens = sum(max(1, len(text.split())) for text in texts)
        return {
            "object": "list",
            "data": data,
            "model": call.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    # ------------------------------------------------------------------ Ollama handlers

    def _ollama_entry(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": MODIFIED_AT,
            "size": 123,
            "digest": _digest(name),
            "details": dict(_OLLAMA_DETAILS),
        }

    def _ollama_root(self, call: _Call) -> Reply:
        return PlainTextResponse("Ollama is running")

    def _ollama_version(self, call: _Call) -> Reply:
        return {"version": OLLAMA_VERSION}

    def _ollama_tags(self, call: _Call) -> Reply:
        return {"models": [self._ollama_entry(name) for name in self.models]}

    def _ollama_ps(self, call: _Call) -> Reply:
        running = [
            {**self._ollama_entry(name), "expires_at": "2099-01-01T00:00:00Z", "size_vram": 0}
            for name in self.models[:1]
        ]
        return {"models": running}

    def _ollama_chat(self, call: _Call) -> Reply:
        tokens = list(self.tokens)
        tool = _first_tool_name(call.body)
        created_at = _now_iso()
        stats = _ollama_stats(max(1, _count_words(call.body.get("messages"))), len(tokens))
        done = {"done": True, "done_reason": "stop", **stats}
        head = {"model": call.model, "created_at": created_at}
        tool_message: dict[str, Any] = {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": tool, "arguments": {"x": 1}}}],
        }
        if not call.stream:
            message = tool_message if tool else {"role": "assistant", "content": "".join(tokens)}
            return {**head, "message": message, **done}
        frames: list[Frame] = []
        if tool:
            frames.append({**head, "message": tool_message, "done": False})
        else:
            frames.extend(
                {**head, "message": {"role": "assistant", "content": token}, "done": False}
                for token in tokens
            )
        frames.append({**head, "message": {"role": "assistant", "content": ""}, **done})
        return _Stream(frames)

    def _ollama_generate(self, call: _Call) -> Reply:
        head = {"model": call.model, "created_at": _now_iso()}
        if not call.body.get("prompt") and not call.body.get("images"):
            loaded = {**head, "response": "", "done": True, "done_reason": "load"}
            return _Stream([loaded]) if call.stream else loaded
        tokens = list(self.tokens)
        stats = _ollama_stats(max(1, _count_words(call.body.get("prompt"))), len(tokens))
        done = {"done": True, "done_reason": "stop", "context": [1, 2, 3], **stats}
        if not call.stream:
            return {**head, "response": "".join(tokens), **done}
        frames: list[Frame] = [{**head, "response": t, "done": False} for t in tokens]
        frames.append({**head, "response": "", **done})
        return _Stream(frames)

    def _ollama_embed(self, call: _Call) -> Reply:
        texts = _texts(call.body.get("input"))
        stats = _ollama_stats(sum(max(1, len(t.split())) for t in texts), 0)
        return {
            "model": call.model,
            "embeddings": [embedding_for(text) for text in texts],
            "total_duration": stats["total_duration"],
            "load_duration": stats["load_duration"],
            "prompt_eval_count": stats["prompt_eval_count"],
        }

    def _ollama_embeddings(self, call: _Call) -> Reply:
        return {"embedding": embedding_for(str(call.body.get("prompt", "")))}

    def _ollama_show(self, call: _Call) -> Reply:
        name = self._resolve("ollama", call.model) or call.model
        return {
            "license": "",
            "modelfile": f'# Modelfile generated by "ollama show"\nFROM {name}\n',
            "parameters": 'stop "<|eot_id|>"\ntemperature 0.7',
            "template": "{{ .System }}\n{{ .Prompt }}",
            "details": dict(_OLLAMA_DETAILS),
            "model_info": {
                "general.architecture": "llama",
                "general.parameter_count": 8_030_261_248,
                "llama.context_length": 8192,
                "llama.embedding_length": 4096,
            },
            "capabilities": ["completion", "tools"],
            "modified_at": MODIFIED_AT,
        }

    def _add_model(self, name: str) -> None:
        if name and self._resolve("ollama", name) is None:
            self.models.append(name)

    def _progress(self, call: _Call, statuses: list[dict[str, Any]]) -> Reply:
        return _Stream(list(statuses)) if call.stream else {"status": "success"}

    def _ollama_pull(self, call: _Call) -> Reply:
        digest = f"sha256:{_digest(call.model)}"
        self._add_model(call.model)
        return self._progress(
            call,
            [
                {"status": "pulling manifest"},
                {"status": "downloading", "digest": digest, "total": 100, "completed": 50},
                {"status": "downloading", "digest": digest, "total": 100, "completed": 100},
                {"status": "verifying sha256 digest"},
                {"status": "writing manifest"},
                {"status": "success"},
            ],
        )

    def _ollama_push(self, call: _Call) -> Reply:
        digest = f"sha256:{_digest(call.model)}"
        return self._progress(
            call,
            [
                {"status": "retrieving manifest"},
                {"status": "starting upload", "digest": digest, "total": 100},
                {"status": "pushing manifest"},
                {"status": "success"},
            ],
        )

    def _ollama_create(self, call: _Call) -> Reply:
        self._add_model(call.model)
        return self._progress(
            call,
            [
                {"status": "reading model metadata"},
                {"status": "creating system layer"},
                {"status": f"using already created layer sha256:{_digest(call.model)}"},
                {"status": "writing manifest"},
                {"status": "success"},
            ],
        )

    def _ollama_copy(self, call: _Call) -> Reply:
        destination = str(call.body.get("destination") or "")
        if not destination:
            return _ollama_error(400, "destination is required")
        self._add_model(destination)
        return Response(status_code=200)

    def _ollama_delete(self, call: _Call) -> Reply:
        resolved = self._resolve("ollama", call.model)
        if resolved is not None and resolved in self.models:
            self.models.remove(resolved)
        return Response(status_code=200)
