"""What forwarding one chat completion costs a Python server before any gateway logic.

Routes of one Starlette app (the framework shipyard's gateway uses) that each
forward the request body to the upstream (``UPSTREAM_URL``) and return its
answer, in the ways a gateway could: a worker-thread hop with ``httpx.Client``
(what shipyard's gateway does today), a worker-thread hop with the standard
library's ``http.client`` (one keep-alive connection per thread), an
``httpx.AsyncClient`` on the event loop, an ``aiohttp`` session on the event
loop; plus ``/plain`` (answers at once) and ``/hop`` (a thread hop and a
``json.loads``, no upstream call) for the framework's own share. ``floors.py``
drives it with wrk; not a benchmark of shipyard, a floor to compare it with.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

UP = os.environ.get("UPSTREAM_URL", "http://127.0.0.1:9100")
PATH = "/v1/chat/completions"
JSON = {"content-type": "application/json"}
CANNED = json.dumps({"choices": [{"index": 0, "message": {"content": "hi"}}]}).encode()
_sync = httpx.Client(base_url=UP)
_local = threading.local()
_clients: dict[str, Any] = {}


def _json(data: bytes) -> Response:
    return Response(data, media_type="application/json")


async def plain(request: Request) -> Response:
    await request.body()
    return _json(CANNED)


async def hop(request: Request) -> Response:
    body = await request.body()
    return _json(await anyio.to_thread.run_sync(lambda: json.loads(body) and CANNED))


def _httpx_sync(body: bytes) -> bytes:
    return _sync.post(PATH, content=body, headers=JSON).content


async def hop_httpx(request: Request) -> Response:
    body = await request.body()
    return _json(await anyio.to_thread.run_sync(_httpx_sync, body))


def _stdlib(body: bytes) -> bytes:
    conn = getattr(_local, "conn", None)
    if conn is None:
        host, _, port = UP.split("//", 1)[1].partition(":")
        conn = _local.conn = http.client.HTTPConnection(host, int(port or 80))
    conn.request("POST", PATH, body, JSON)
    return conn.getresponse().read()


async def hop_http_client(request: Request) -> Response:
    body = await request.body()
    return _json(await anyio.to_thread.run_sync(_stdlib, body))


async def async_httpx(request: Request) -> Response:
    body = await request.body()
    client = _clients.get("httpx")
    if client is None:
        client = _clients["httpx"] = httpx.AsyncClient(base_url=UP)
    return _json((await client.post(PATH, content=body, headers=JSON)).content)


async def async_aiohttp(request: Request) -> Response:
    import aiohttp

    body = await request.body()
    session = _clients.get("aiohttp")
    if session is None:
        session = _clients["aiohttp"] = aiohttp.ClientSession(base_url=UP)
    async with session.post(PATH, data=body, headers=JSON) as r:
        return _json(await r.read())


ROUTES = {
    "/plain": plain,
    "/hop": hop,
    "/hop_httpx": hop_httpx,
    "/hop_http_client": hop_http_client,
    "/async_httpx": async_httpx,
    "/async_aiohttp": async_aiohttp,
}


async def health(_request: Request) -> Response:
    return _json(b'{"status":"ok"}')


app = Starlette(
    routes=[
        Route("/health", health),
        *(Route(path, fn, methods=["POST"]) for path, fn in ROUTES.items()),
    ]
)
