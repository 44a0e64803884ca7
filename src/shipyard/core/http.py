"""A small JSON-over-HTTP client for talking to a shipyard server.

Errors the server sends as ``{"error": {"type", "message"}}`` come back as the
same ``ShipyardError`` class; an unreachable server is a ``RemoteError`` that
names the URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from shipyard.core.errors import RemoteError, error_from_dict

_RETRIES = 3


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0) -> None:
        headers = {"User-Agent": "shipyard-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its decoded JSON body (``None`` for 204)."""
        for attempt in range(_RETRIES):
            try:
                resp = self.http.request(method, path, **kwargs)
                break
            except httpx.TransportError as exc:
                # Retry only what cannot have reached the server, or is idempotent.
                if attempt == _RETRIES - 1 or not (
                    isinstance(exc, httpx.ConnectError) or method in ("GET", "HEAD")
                ):
                    raise RemoteError(
                        f"cannot reach the shipyard server at {self.base_url}: {exc}"
                    ) from exc
        return self._decode(resp)

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        try:
            with self.http.stream(method, path, **kwargs) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._decode(resp)
                yield resp
        except httpx.TransportError as exc:
            raise RemoteError(
                f"cannot reach the shipyard server at {self.base_url}: {exc}"
            ) from exc

    def _decode(self, resp: httpx.Response) -> Any:
        if resp.status_code == 204 or not resp.content:
            if resp.status_code >= 400:
                raise error_from_dict(None, resp.status_code)
            return None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 400:
            raise error_from_dict(body, resp.status_code)
        if body is None:
            raise RemoteError(
                f"{self.base_url} answered {resp.request.url.path} with something other than "
                "JSON; is SHIPYARD_URI pointing at a shipyard server?"
            )
        return body

    def close(self) -> None:
        self.http.close()
