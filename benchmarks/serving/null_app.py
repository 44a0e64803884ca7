"""A server that does nothing: the load generator's ceiling, measured before the real servers.

A bare ASGI app (no framework) that answers every request with the same
small JSON body, run by the REST benchmark under uvicorn with uvloop and
httptools on the servers' CPU. If the load generator can drive this at many
times the model servers' rates, it is not what limits them.
"""

from __future__ import annotations

from typing import Any

BODY = b'{"predictions":[1]}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
