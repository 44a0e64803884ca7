"""A pooled HTTP/1.1 client for the providers, over the standard library's ``http.client``.

Every gateway call makes one upstream request, so the client's own cost is
part of the gateway's latency. httpx spends about 0.5 ms of CPU per request
on this machine class (building request/response models, its auth and
redirect flows, anyio locks); ``http.client`` on a kept-alive connection
spends about a tenth of it, which doubles the requests/s one gateway process
can forward (benchmarks/gateway/floors.py measures both).

What the providers need and nothing more: POST a body, read the answer
whole or as lines (server-sent events), keep-alive connections shared by
threads, TLS with certificate checks, HTTP(S) proxies from the usual
``*_PROXY`` variables, basic auth from a ``user:password@`` base URL, a
timeout per socket operation. Bodies are asked for uncompressed
(``accept-encoding: identity``). A kept-alive connection the upstream
closed is noticed before reuse (it reads as ready) and, when the race is
lost anyway (closed while the request was sent), the request is sent once
more on a fresh connection: the upstream closed before reading it, so it
cannot have run twice.
"""

from __future__ import annotations

import base64
import http.client
import json
import select
import socket
import ssl
import threading
from collections.abc import Iterator, Mapping
from email.message import Message
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
MAX_IDLE = 64
"""Idle connections kept per client; more are closed when returned."""


class TransportError(Exception):
    """The upstream could not be reached, or broke the connection off."""


class TransportTimeout(TransportError):
    """Connecting or a read took longer than the timeout."""


class Reply:
    """A whole answer: status, headers, body (the names httpx's response uses)."""

    def __init__(self, status: int, reason: str, headers: Message, content: bytes) -> None:
        self.status_code = status
        self.reason_phrase = reason
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class StreamReply:
    """An answer whose body is read as it arrives; ``close`` it (iterating to the end does)."""

    def __init__(self, client: HttpClient, conn: http.client.HTTPConnection, response: Any) -> None:
        self._client = client
        self._conn: http.client.HTTPConnection | None = conn
        self._response = response
        self.status_code: int = response.status
        self.reason_phrase: str = response.reason
        self.headers: Message = response.msg

    def read(self) -> Reply:
        """The rest of the body at once (for an error answer)."""
        try:
            content = _read(self._response)
        finally:
            self.close()
        return Reply(self.status_code, self.reason_phrase, self.headers, content)

    def iter_lines(self) -> Iterator[str]:
        """The body's lines without their line ends, as each one arrives."""
        try:
            while True:
                try:
                    line = self._response.readline()
                except TimeoutError as exc:
                    raise TransportTimeout(f"read timed out: {exc}") from None
                except (OSError, http.client.HTTPException) as exc:
                    raise TransportError(f"{type(exc).__name__}: {exc}") from None
                if not line:
                    break
                yield line.rstrip(b"\r\n").decode("utf-8", "replace")
        finally:
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        # a body read to its end leaves the connection ready for the next request
        if self._response.isclosed() and not self._response.will_close:
            self._client._release(conn)
        else:
            self._response.close()
            conn.close()


class HttpClient:
    """Keep-alive connections to one base URL, shared by threads."""

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base URL must be http:// or https:// with a host")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.query = parts.query
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.headers.setdefault("accept-encoding", "identity")
        if parts.username is not None:  # as httpx did: URL credentials are basic auth
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self._proxy = _proxy_for(parts.scheme, self.host)
        if self._proxy and not self.https:  # CONNECT carries them for https
            self.headers.update({k.lower(): v for k, v in self._proxy[2].items()})
        self._ssl = _ssl_context() if self.https else None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def post(
        self, path: str, body: bytes, *, timeout: float, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """POST ``body`` and read the whole answer."""
        conn, response = self._send(path, body, timeout, headers)
        try:
            content = _read(response)
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            self._release(conn)
        return Reply(response.status, response.reason, response.msg, content)

    def open(
        self, path: str, body: bytes, *, timeout: float, headers: Mapping[str, str] | None = None
    ) -> StreamReply:
        """POST ``body`` and return as soon as the status and headers are in."""
        conn, response = self._send(path, body, timeout, headers)
        return StreamReply(self, conn, response)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- connections --------------------------------------------------------------------

    def _send(
        self, path: str, body: bytes, timeout: float, extra: Mapping[str, str] | None
    ) -> tuple[http.client.HTTPConnection, Any]:
        target = self._target(path)
        headers = self.headers if not extra else {**self.headers, **extra}
        for attempt in (1, 2):
            conn, reused = self._acquire(timeout)
            try:
                conn.request("POST", target, body, headers)
                return conn, conn.getresponse()
            except _STALE as exc:
                conn.close()
                if reused and attempt == 1:
                    continue  # the upstream closed a kept-alive connection: it read nothing
                raise TransportError(f"{type(exc).__name__}: {exc}") from None
            except TimeoutError as exc:
                conn.close()
                raise TransportTimeout(f"timed out: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise TransportError(f"{type(exc).__name__}: {exc}") from None
        raise AssertionError("unreachable")

    def _acquire(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect(timeout), False
            sock = conn.sock
            if sock is None or _readable(sock):  # closed by the upstream while idle
                conn.close()
                continue
            conn.timeout = timeout
            sock.settimeout(timeout)
            return conn, True

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        host, port = self._proxy[:2] if self._proxy else (self.host, self.port)
        conn: http.client.HTTPConnection
        if self._ssl is not None:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        if self._proxy and self.https:
            conn.set_tunnel(self.host, self.port, headers=self._proxy[2])
        conn.auto_open = 1
        return conn

    def _target(self, path: str) -> str:
        target = self.prefix + path
        if self.query:
            target += ("&" if "?" in target else "?") + self.query
        if self._proxy and not self.https:  # a plain-HTTP proxy takes the absolute URL
            target = f"http://{self.host}:{self.port}{target}"
        return target


def _read(response: Any) -> bytes:
    try:
        return bytes(response.read())
    except TimeoutError as exc:
        raise TransportTimeout(f"read timed out: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from None


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: only EOF or garbage can be there."""
    try:
        ready, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)


def _proxy_for(scheme: str, host: str) -> tuple[str, int, dict[str, str]] | None:
    """The proxy the ``*_PROXY`` variables name for this host: host, port, CONNECT headers."""
    url = getproxies().get(scheme)
    if not url or proxy_bypass(host):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        return None
    headers: dict[str, str] = {}
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return parts.hostname, parts.port or 8080, headers


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:  # the same roots httpx trusted, where certifi is installed
        import certifi

        context.load_verify_locations(certifi.where())
    except ImportError:
        pass
    return context
