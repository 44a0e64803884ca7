"""The OpenAI-compatible HTTP gateway: ``create_gateway_app(config, workspace)`` builds it.

Endpoints (the official ``openai`` SDK works against them unchanged):

- ``POST /v1/chat/completions`` and ``POST /v1/completions``, streamed as
  server-sent events when ``stream`` is true;
- ``POST /v1/embeddings``;
- ``GET /v1/models`` and ``GET /v1/models/{model}``;
- ``GET /health``.

Each request becomes an ``LLMRequest`` and goes through the same
``RequestPath`` as ``sy.llm`` calls: the bearer token is the virtual key,
``Cache-Control: no-cache`` skips the cache. The answer's ``model`` is the
name the client asked for; the target that served it is in the ``shipyard``
object and the ``x-shipyard-target`` header.

orjson (``shipyard.core.fastjson``), one cheap thread hop per request (the
request path is synchronous, see ``workers``) and, for the three POST
endpoints, a dispatch straight from the ASGI scope (no router, middleware or
``Request``) keep the gateway's own share of a call's latency under a millisecond.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from fnmatch import fnmatchcase
from typing import Any, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from shipyard.core import fastjson
from shipyard.core.errors import InvalidInput, NotFound, ShipyardError
from shipyard.llm.config import GatewayConfig
from shipyard.llm.gateway import openai_wire as wire
from shipyard.llm.gateway.errors import ModelNotFound, WireError, error_json
from shipyard.llm.gateway.sse import ChunkFrames, SSEResponse
from shipyard.llm.gateway.workers import Workers
from shipyard.llm.keys import SECRET_PREFIX
from shipyard.llm.path import RequestPath
from shipyard.llm.providers.base import split_model
from shipyard.llm.types import LLMResponse, ResponseStream
from shipyard.tracing import remote_parent
from shipyard.workspace import Workspace

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 32 * 2**20
THREADS = 256
"""Calls in the request path at once per worker process: each holds a thread while its
upstream answers (a stream, until it ends), so this bounds concurrent upstream calls."""
JSON = "application/json"
# ids need to be unique, not secret: os.urandom costs ~100 µs a call on some VMs
_ids = random.Random()

Parse = Callable[[Mapping[str, Any], str], wire.Parsed]
Endpoint = Callable[[Scope, Receive], Awaitable[Response]]
T = TypeVar("T")
_HEALTH = b'{"status":"ok"}'


class Gateway:
    """The endpoints of one gateway, over one request path."""

    def __init__(
        self,
        config: GatewayConfig | None = None,
        workspace: Workspace | None = None,
        *,
        threads: int = THREADS,
    ) -> None:
        self.config = config or GatewayConfig()
        self.path = RequestPath(self.config, workspace)
        self.created = int(time.time())
        # threads of our own, not shared with Starlette: see workers.py for why not an Executor's
        self.pool = Workers(threads, name="shipyard-gateway")

    # --- endpoints -----------------------------------------------------------------------

    async def chat(self, request: Request) -> Response:
        return await self._call(request.scope, request.receive, wire.parse_chat, "chat")

    async def completions(self, request: Request) -> Response:
        return await self._call(request.scope, request.receive, wire.parse_completion, "completion")

    async def embeddings(self, request: Request) -> Response:
        return await self._call(request.scope, request.receive, wire.parse_embedding, "embedding")

    async def models(self, request: Request) -> Response:
        names = await self._in_pool(self._model_names, _bearer(request))
        if isinstance(names, Response):
            return names
        return _json(200, wire.models_body(names, self.created))

    async def model(self, request: Request) -> Response:
        name = request.path_params["model"]
        names = await self._in_pool(self._model_names, _bearer(request))
        if isinstance(names, Response):
            return names
        if name not in names:
            return _error(ModelNotFound(name, names, direct=self._direct))
        return _json(200, wire.models_body([name], self.created)["data"][0])

    async def health(self, _request: Request) -> Response:
        return Response(_HEALTH, media_type=JSON)

    def posts(self, prefix: str = "/v1") -> dict[str, Endpoint]:
        """The POST endpoints by path: what ``GatewayApp`` calls without the router or a
        ``Request``, with the ASGI scope and ``receive``."""
        return {
            f"{prefix}/chat/completions": functools.partial(
                self._call, parse=wire.parse_chat, kind="chat"
            ),
            f"{prefix}/completions": functools.partial(
                self._call, parse=wire.parse_completion, kind="completion"
            ),
            f"{prefix}/embeddings": functools.partial(
                self._call, parse=wire.parse_embedding, kind="embedding"
            ),
        }

    def routes(self, prefix: str = "/v1") -> list[Route]:
        """The ``/v1`` routes, under ``prefix`` (empty when mounted at ``/v1``)."""
        return [
            Route(f"{prefix}/chat/completions", self.chat, methods=["POST"]),
            Route(f"{prefix}/completions", self.completions, methods=["POST"]),
            Route(f"{prefix}/embeddings", self.embeddings, methods=["POST"]),
            Route(f"{prefix}/models", self.models, methods=["GET"]),
            Route(f"{prefix}/models/{{model:path}}", self.model, methods=["GET"]),
        ]

    def close(self) -> None:
        """Close the stages and flush the traces still buffered (at shutdown)."""
        self.pool.shutdown(wait=True)
        self.path.close()
        flush_traces()

    # --- the one request flow ------------------------------------------------------------

    async def _call(self, scope: Scope, receive: Receive, parse: Parse, kind: str) -> Response:
        authorization, cache_control, traceparent, size = _headers(scope)
        body = await _read_body(receive, size)
        if body is None:
            return _error(
                WireError(
                    f"the request body is over {MAX_BODY_BYTES >> 20} MiB", code="request_too_large"
                ),
                status=413,
            )
        credential = _bearer_token(authorization)
        if credential and not self.open_key(credential):
            credential = None
        cache = "no-cache" not in cache_control.lower()
        return await self._in_pool(
            self._answer, body, parse, kind, credential, cache, traceparent or None
        )

    async def _in_pool(self, function: Callable[..., T], *args: Any) -> T:
        """Run blocking work (the request path, store lookups) in the gateway's threads."""
        return await self.pool.run(function, *args)

    def _answer(
        self,
        body: bytes,
        parse: Parse,
        kind: str,
        credential: str | None,
        cache: bool,
        traceparent: str | None = None,
    ) -> Response:
        parsed: wire.Parsed | None = None
        try:
            parsed = parse(wire.load_json(body), self.config.default_model)
            with remote_parent(traceparent):
                outcome = self.path.run(parsed.request, credential=credential, cache=cache)
            if isinstance(outcome, ResponseStream):
                return self._stream(outcome, parsed, kind)
            return self._whole(outcome, parsed, kind)
        except (InvalidInput, NotFound) as exc:
            model = None if parsed is None or isinstance(exc, WireError) else parsed.model
            if model is not None and not self._known(model):
                return _error(ModelNotFound(model, self.config.model_names(), direct=self._direct))
            return _error(exc)
        except Exception as exc:
            return _error(exc)

    def _whole(self, response: LLMResponse, parsed: wire.Parsed, kind: str) -> Response:
        if kind == "embedding":
            body = wire.embedding_body(response, parsed)
        elif kind == "chat":
            body = wire.chat_body(response, parsed, response.id or _new_id("chatcmpl-"), _now())
        else:
            body = wire.completion_body(response, parsed, response.id or _new_id("cmpl-"), _now())
        headers = _shipyard_headers(response.model, response.cache, response.trace_id)
        headers["x-shipyard-cost-usd"] = f"{response.cost_usd:.10g}"
        return _json(200, body, headers)

    def _stream(self, stream: ResponseStream, parsed: wire.Parsed, kind: str) -> Response:
        prefix = "chatcmpl-" if kind == "chat" else "cmpl-"
        frames = ChunkFrames(
            "chat" if kind == "chat" else "completion",
            stream.id or _new_id(prefix),
            _now(),
            parsed.model,
            parsed.include_usage,
        )
        headers = _shipyard_headers(stream.model, stream.cache, stream.trace_id)
        return SSEResponse(stream, frames, headers, self.pool)

    @property
    def _direct(self) -> bool:
        return self.config.routing.allow_direct_models

    def open_key(self, credential: str) -> bool:
        """Whether to hand ``credential`` to the auth stage.

        OpenAI clients insist on sending some key. On a gateway that does not
        require keys, a token that is not a virtual key (``sk-sy-...``) means
        "no key" rather than a refusal; a virtual key is always checked.
        """
        return self.config.auth.require_key or credential.startswith(SECRET_PREFIX)

    def _known(self, model: str) -> bool:
        if not self.config.allows(model):
            return False
        if model in self.config.models:
            return True
        try:
            split_model(model)
        except InvalidInput:
            return False
        return True

    def _model_names(self, credential: str | None) -> list[str] | Response:
        """The configured names; with ``auth.require_key``, only those the caller's key may use."""
        names = self.config.model_names()
        if not self.config.auth.require_key:
            return names
        from shipyard.core.errors import Unauthorized
        from shipyard.llm.keys import verify_key

        try:
            if not credential:
                raise Unauthorized(
                    "this gateway needs a virtual key: send 'Authorization: Bearer sk-sy-...' "
                    "(create one with: shipyard keys create --project P)"
                )
            key = verify_key(credential, workspace=self.path.workspace)
        except ShipyardError as exc:
            return _error(exc)
        if not key.models:
            return names
        return [n for n in names if any(fnmatchcase(n, allowed) for allowed in key.models)]


class GatewayApp(Starlette):
    """The gateway's Starlette app, with its hot endpoints dispatched directly.

    Starlette's router and its two exception middlewares cost about 40 µs of
    CPU per request, a tenth of the gateway's own share; the POST endpoints
    need neither (they turn every failure into an OpenAI-shaped answer
    themselves), so an exact path match calls them straight away and
    everything else goes through Starlette as usual.
    """

    def __init__(self, posts: Mapping[str, Endpoint], **kw: Any):
        super().__init__(**kw)
        self.posts = dict(posts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.posts.get(scope["path"])
            if endpoint is not None:
                scope["app"] = self
                try:
                    response = await endpoint(scope, receive)
                except ClientDisconnect:
                    return  # nobody to answer
                except Exception as exc:  # what the middleware would have made a 500
                    log.exception("gateway request failed")
                    response = _error(exc)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_gateway_app(
    config: GatewayConfig | None = None,
    workspace: Workspace | None = None,
    *,
    threads: int = THREADS,
) -> Starlette:
    """The gateway as an ASGI app: ``/v1/...`` and ``/health``; closes its stages on shutdown.

    ``threads`` bounds the calls in flight at once (see ``THREADS``).
    """
    gateway = Gateway(config, workspace, threads=threads)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Everything imported and built so far lives as long as the process: move it out of
        # the collector's sight, so full collections under load stay short (tail latency).
        gc.freeze()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(gateway.close)

    app = GatewayApp(
        gateway.posts("/v1"),
        routes=[*gateway.routes("/v1"), Route("/health", gateway.health, methods=["GET"])],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app


def create_v1_app(gateway: Gateway) -> Starlette:
    """The ``/v1`` routes alone, to mount at ``/v1`` in another app (``shipyard server``)."""
    app = Starlette(routes=gateway.routes(""), exception_handlers={HTTPException: _http_error})
    app.state.gateway = gateway
    return app


def flush_traces() -> None:
    """Write the spans still buffered, so a stopped gateway's last calls are in the store."""
    from shipyard.tracing import flush_traces as flush

    flush()


async def _http_error(_request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods, in OpenAI's error shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {
        404: "no such endpoint on this gateway; see GET /v1/models and docs/llm-gateway.md",
        405: "this endpoint does not accept that HTTP method",
    }.get(status, "request failed")
    code = {404: "unknown_url", 405: "method_not_allowed"}.get(status)
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }
    return _json(status, body)


def _error(exc: BaseException, status: int | None = None) -> Response:
    code, body, headers = error_json(exc)
    return Response(body, status_code=status or code, headers=headers, media_type=JSON)


def _json(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    return Response(fastjson.dumps(body), status_code=status, headers=headers, media_type=JSON)


def _shipyard_headers(target: str, cache: str | None, trace_id: str | None) -> dict[str, str]:
    headers = {"x-shipyard-target": target, "x-shipyard-cache": cache or "miss"}
    if trace_id:
        headers["x-shipyard-trace-id"] = trace_id
    return headers


def _headers(scope: Scope) -> tuple[str, str, str, str]:
    """Authorization, Cache-Control, traceparent and Content-Length ("" when absent), in one
    pass over the ASGI headers (Starlette's ``Headers.get`` scans them once per name)."""
    found = ["", "", "", ""]
    for name, value in scope["headers"]:
        i = _WANTED.get(name)
        if i is not None and not found[i]:
            found[i] = value.decode("latin-1")
    return found[0], found[1], found[2], found[3]


_WANTED = {b"authorization": 0, b"cache-control": 1, b"traceparent": 2, b"content-length": 3}


async def _read_body(receive: Receive, size: str) -> bytes | None:
    """The request body, or None as soon as it is over ``MAX_BODY_BYTES``.

    Checked while reading, not only from Content-Length (``size``): a chunked
    body has none, and reading it whole first would let one client fill the memory.
    """
    if size.isdigit() and int(size) > MAX_BODY_BYTES:
        return None
    parts: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise ClientDisconnect()
        part = message.get("body", b"")
        if part:
            total += len(part)
            if total > MAX_BODY_BYTES:
                return None
            parts.append(part)
        if not message.get("more_body", False):
            return parts[0] if len(parts) == 1 else b"".join(parts)


def _bearer(request: Request) -> str | None:
    return _bearer_token(request.headers.get("authorization", ""))


def _bearer_token(header: str) -> str | None:
    if not header or header[:7].lower() != "bearer ":
        return None
    return header[7:].strip() or None


def _new_id(prefix: str) -> str:
    return f"{prefix}{_ids.getrandbits(96):024x}"


def _now() -> int:
    return int(time.time())
