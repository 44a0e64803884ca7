"""A pooled HTTP/1.1 client for the providers, written by hand on plain sockets.

Every gateway call makes one upstream request and the gateway is CPU-bound,
so the client's own CPU is a share of the gateway's throughput. httpx spent
about 0.5 ms of CPU per request on this machine class (request/response
models, auth and redirect flows, anyio locks); the standard library's
``http.client`` about 144 µs per POST (``putheader`` per header, the
``email`` package's header parser, ``HTTPResponse``), ~12% of the gateway's
throughput against a hand-written exchange's ~51 µs in the profile. This
module is that exchange: the constant part of the request head is built once
per client, a request is one ``sendall``, and the answer is read by
``readline`` from a ``BufferedReader`` kept with the connection, headers
straight into a dict. A loop of kept-alive POSTs to
benchmarks/gateway/upstream.py measured 142 µs of CPU per POST with
``http.client`` and 20 µs with this on a quiet machine; 98 and 46 µs when
the two ran by turns on a busy one (the rest is the kernel's socket work).

What the providers need and nothing more: POST a body, read the answer
whole or as lines (server-sent events), keep-alive connections shared by
threads (at most ``MAX_IDLE`` idle), TLS with certificate checks, HTTP(S)
proxies from the usual ``*_PROXY`` variables (a plain-HTTP proxy gets the
absolute URL, https goes through a ``CONNECT`` tunnel), basic auth from a
``user:password@`` base URL, a timeout per socket operation. Bodies are
asked for uncompressed (``accept-encoding: identity``) and framed by chunked
transfer encoding, ``content-length`` or the upstream closing; interim 1xx
answers are skipped. A kept-alive connection the upstream closed is noticed
before reuse (it reads as ready) and, when the race is lost anyway (closed
while the request was sent: a reset, a broken pipe or EOF before any status
line), the request is sent once more on a fresh connection: the upstream
closed before reading it, so it cannot have run twice. A fresh connection,
or one that sent a status line, is never retried.
Header names and values with a line break are refused (``ValueError``)
when the client is made, and a call's own headers when it is sent.
"""

from __future__ import annotations

import base64
import json
import re
import select
import socket
import ssl
import threading
from collections.abc import Callable, ItemsView, Iterator, Mapping
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

MAX_IDLE = 64
"""Idle connections kept per client; more are closed when returned."""
_MAX_LINE = 65536  # the limits http.client had: bytes in a status or header line
_MAX_HEADERS = 100
_STALE = (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError)
_HEADER_NAME = re.compile(r"[^:\s][^:\r\n]*")
_BAD_VALUE = re.compile(r"[\r\n\0]")
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")


class TransportError(Exception):
    """The upstream could not be reached, or broke the connection off."""


class TransportTimeout(TransportError):
    """Connecting or a read took longer than the timeout."""


class _Stale(Exception):
    """The connection broke before a status line: on a reused one, worth one more try."""


class Headers:
    """An answer's headers by case-insensitive name; a repeated one's values joined by ", "."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = fields  # keys in lower case

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._fields.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def items(self) -> ItemsView[str, str]:
        return self._fields.items()

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


class Reply:
    """A whole answer: status, headers, body (the names httpx's response uses)."""

    def __init__(self, status: int, reason: str, headers: Headers, content: bytes) -> None:
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

    def __init__(self, client: HttpClient, answer: _Answer) -> None:
        self._client = client
        self._answer: _Answer | None = answer
        self.status_code: int = answer.status
        self.reason_phrase: str = answer.reason
        self.headers: Headers = answer.headers

    def read(self) -> Reply:
        """The rest of the body at once (for an error answer)."""
        answer = self._answer
        try:
            content = _reading(answer.read_all) if answer is not None else b""
        finally:
            self.close()
        return Reply(self.status_code, self.reason_phrase, self.headers, content)

    def iter_lines(self) -> Iterator[str]:
        """The body's lines without their line ends, each as soon as it has arrived."""
        try:
            while (answer := self._answer) is not None:  # None once closed
                line = _reading(answer.readline)
                if not line:
                    break
                yield line.rstrip(b"\r\n").decode("utf-8", "replace")
        finally:
            self.close()

    def close(self) -> None:
        answer, self._answer = self._answer, None
        if answer is None:
            return
        # a body read to its end leaves the connection ready for the next request
        if answer.done and not answer.will_close:
            self._client._release(answer.conn)
        else:
            answer.conn.close()


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
        literal = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        self._hostport = f"{literal}:{self.port}"
        self._authority = literal if self.port == (443 if self.https else 80) else self._hostport
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.headers.setdefault("accept-encoding", "identity")
        self.headers.pop("content-length", None)  # each request's own
        if parts.username is not None:  # as httpx did: URL credentials are basic auth
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self._proxy = _proxy_for(parts.scheme, self.host)
        if self._proxy and not self.https:  # CONNECT carries them for https
            self.headers.update({k.lower(): v for k, v in self._proxy[2].items()})
        sent = {"host": self._authority, **self.headers}
        self._head = _header_lines(sent)  # the same in every request: built once
        self._sent = frozenset(sent)
        self._targets: dict[str, bytes] = {}
        self._ssl = _ssl_context() if self.https else None
        self._idle: list[_Conn] = []
        self._lock = threading.Lock()
        self._closed = False

    def post(
        self, path: str, body: bytes, *, timeout: float, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """POST ``body`` and read the whole answer."""
        answer = self._send(path, body, timeout, headers)
        try:
            content = _reading(answer.read_all)
        except BaseException:
            answer.conn.close()
            raise
        if answer.will_close:
            answer.conn.close()
        else:
            self._release(answer.conn)
        return Reply(answer.status, answer.reason, answer.headers, content)

    def open(
        self, path: str, body: bytes, *, timeout: float, headers: Mapping[str, str] | None = None
    ) -> StreamReply:
        """POST ``body`` and return as soon as the status and headers are in."""
        return StreamReply(self, self._send(path, body, timeout, headers))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- requests -----------------------------------------------------------------------

    def _send(
        self, path: str, body: bytes, timeout: float, extra: Mapping[str, str] | None
    ) -> _Answer:
        head = b"POST %s HTTP/1.1\r\n%scontent-length: %d\r\n\r\n" % (
            self._target(path),
            self._fields(extra) if extra else self._head,
            len(body),
        )
        for attempt in (1, 2):
            try:
                conn, reused = self._acquire(timeout)
            except TimeoutError as exc:
                raise TransportTimeout(f"timed out: {exc}") from None
            except OSError as exc:
                raise TransportError(f"{type(exc).__name__}: {exc}") from None
            try:
                return _exchange(conn, head, body)
            except _Stale as exc:
                conn.close()
                if reused and attempt == 1:
                    continue  # the upstream closed a kept-alive connection: it read nothing
                raise TransportError(str(exc)) from None
            except TimeoutError as exc:
                conn.close()
                raise TransportTimeout(f"timed out: {exc}") from None
            except OSError as exc:
                conn.close()
                raise TransportError(f"{type(exc).__name__}: {exc}") from None
            except BaseException:
                conn.close()
                raise
        raise AssertionError("unreachable")

    def _target(self, path: str) -> bytes:
        known = self._targets.get(path)
        if known is not None:
            return known
        target = self.prefix + path
        if self.query:
            target += ("&" if "?" in target else "?") + self.query
        if self._proxy and not self.https:  # a plain-HTTP proxy takes the absolute URL
            target = f"http://{self._authority}{target}"
        if _BAD_TARGET.search(target):
            raise TransportError(f"InvalidURL: the path {path!r} has a space or control character")
        encoded = target.encode("ascii")
        if len(self._targets) < 256:  # the providers use a handful of paths
            self._targets[path] = encoded
        return encoded

    def _fields(self, extra: Mapping[str, str]) -> bytes:
        """The header lines with a call's own headers, which win over the client's."""
        lower = {k.lower(): v for k, v in extra.items() if k.lower() != "content-length"}
        if self._sent.isdisjoint(lower):
            return self._head + _header_lines(lower)
        return _header_lines({"host": self._authority, **self.headers, **lower})

    # --- connections --------------------------------------------------------------------

    def _acquire(self, timeout: float) -> tuple[_Conn, bool]:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect(timeout), False
            if _readable(conn.sock):  # closed by the upstream while idle
                conn.close()
                continue
            if conn.timeout != timeout:
                conn.sock.settimeout(timeout)
                conn.timeout = timeout
            return conn, True

    def _release(self, conn: _Conn) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def _connect(self, timeout: float) -> _Conn:
        host, port = self._proxy[:2] if self._proxy else (self.host, self.port)
        sock = socket.create_connection((host, port), timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._proxy and self.https:
                _tunnel(sock, self._hostport, self._proxy[2])
            if self._ssl is not None:
                sock = self._ssl.wrap_socket(sock, server_hostname=self.host)
            return _Conn(sock, timeout)
        except BaseException:
            sock.close()
            raise


class _Conn:
    """A socket and the buffered reader of its answers, used by one thread at a time."""

    __slots__ = ("file", "sock", "timeout")

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.file: BinaryIO = sock.makefile("rb")
        self.timeout = timeout

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class _Answer:
    """The status and headers of an answer, and its body read as its framing says.

    The body methods raise ``OSError`` as the socket does (``_reading`` turns it
    into a ``TransportError``) and ``TransportError`` for a malformed body.
    """

    __slots__ = (
        *("chunked", "conn", "crlf", "done", "file", "headers", "left", "reason", "status"),
        "will_close",
    )

    def __init__(
        self, conn: _Conn, status: int, reason: str, fields: dict[str, str], http10: bool
    ) -> None:
        self.conn, self.file = conn, conn.file
        self.status, self.reason, self.headers = status, reason, Headers(fields)
        connection = fields.get("connection", "").lower()
        if http10:
            self.will_close = not (
                "keep-alive" in connection
                or "keep-alive" in fields
                or "keep-alive" in fields.get("proxy-connection", "").lower()
            )
        else:
            self.will_close = "close" in connection
        self.chunked = False
        self.crlf = False  # a chunk's data was read, its line end not yet
        self.left = 0  # bytes left in the body, or in the current chunk; -1: until EOF
        self.done = False
        if status in (204, 304):
            self.done = True
        elif fields.get("transfer-encoding", "").lower().rpartition(",")[2].strip() == "chunked":
            self.chunked = True  # a chunk-size line comes next
        elif "content-length" in fields:
            self.left = _length(fields["content-length"])
            self.done = self.left == 0
        else:
            self.left = -1
            self.will_close = True

    def read_all(self) -> bytes:
        if self.done:
            return b""
        if self.left < 0:
            self.done = True
            return self.file.read()
        if not self.chunked:
            data = self._exact(self.left)
            self.left, self.done = 0, True
            return data
        parts = []
        while self.left or self._next_chunk():
            parts.append(self._exact(self.left))
            self.left, self.crlf = 0, True
        return b"".join(parts)

    def readline(self) -> bytes:
        """The next line with its end (the last may have none); ``b""`` after the body."""
        if self.done:
            return b""
        if self.left < 0:
            line = self.file.readline()
            self.done = not line
            return line
        if not self.chunked:
            line = self.file.readline(self.left)
            if not line:
                raise _incomplete(self.left)
            self.left -= len(line)
            self.done = self.left == 0
            return line
        parts = []
        while self.left or self._next_chunk():
            piece = self.file.readline(self.left)  # stops at a line end: never waits for more
            if not piece:
                raise _incomplete(self.left)
            self.left -= len(piece)
            self.crlf = self.left == 0
            parts.append(piece)
            if piece.endswith(b"\n"):
                break
        return b"".join(parts)

    def _next_chunk(self) -> bool:
        """Read up to the next chunk's data; False (and done) after the last chunk."""
        if self.crlf:
            if self.file.readline(3) not in (b"\r\n", b"\n"):
                raise TransportError("malformed chunked body: a chunk longer than its size")
            self.crlf = False
        line = self.file.readline(_MAX_LINE + 1)
        if not line:
            raise _incomplete(None)
        try:
            size = int(line.split(b";", 1)[0], 16)  # a chunk extension is ignored
        except ValueError:
            size = -1
        if size < 0:
            raise TransportError(f"malformed chunked body: chunk size line {line[:40]!r}")
        if size:
            self.left = size
            return True
        for _ in range(_MAX_HEADERS + 1):  # trailers: read and dropped
            line = self.file.readline(_MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                self.done = True
                return False
        raise TransportError(f"more than {_MAX_HEADERS} trailer lines in a chunked body")

    def _exact(self, size: int) -> bytes:
        data = self.file.read(size)
        if len(data) < size:
            raise _incomplete(size - len(data), len(data))
        return data


def _exchange(conn: _Conn, head: bytes, body: bytes) -> _Answer:
    """Send one request and read its answer's status and headers."""
    try:
        if len(body) <= 65536:
            conn.sock.sendall(head + body)
        else:  # not worth copying
            conn.sock.sendall(head)
            conn.sock.sendall(body)
        line = conn.file.readline(_MAX_LINE + 1)
    except _STALE as exc:
        raise _Stale(f"{type(exc).__name__}: {exc}") from None
    if not line:
        raise _Stale("RemoteDisconnected: Remote end closed connection without response")
    while True:
        status, reason, http10 = _status(line)
        fields = _read_fields(conn.file)
        if status >= 200:
            return _Answer(conn, status, reason, fields, http10)
        line = conn.file.readline(_MAX_LINE + 1)  # after 100 Continue and the like
        if not line:
            raise TransportError("RemoteDisconnected: the upstream closed after an interim answer")


def _status(line: bytes) -> tuple[int, str, bool]:
    """Status, reason and whether it is HTTP/1.0, from a status line."""
    parts = line.split(None, 2)
    if (
        len(line) > _MAX_LINE
        or len(parts) < 2
        or not parts[0].startswith(b"HTTP/1.")
        or len(parts[1]) != 3
        or not parts[1].isdigit()
        or parts[1] < b"100"
    ):
        raise TransportError(f"BadStatusLine: {line[:80]!r}")
    reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
    return int(parts[1]), reason, parts[0] == b"HTTP/1.0"


def _read_fields(file: BinaryIO) -> dict[str, str]:
    """Header lines up to the blank line, by lower-case name."""
    fields: dict[str, str] = {}
    name = ""
    for _ in range(_MAX_HEADERS + 1):
        line = file.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return fields
        if len(line) > _MAX_LINE:
            raise TransportError(f"LineTooLong: a header line longer than {_MAX_LINE} bytes")
        if not line:
            raise TransportError("RemoteDisconnected: the upstream closed in the headers")
        if line[0] in b" \t" and name:  # an obsolete folded continuation line
            fields[name] += " " + line.strip().decode("latin-1")
            continue
        raw, colon, value = line.partition(b":")
        name = raw.decode("latin-1").lower()
        if not colon or not name or name != name.strip():
            raise TransportError(f"malformed header line {line[:80]!r}")
        text = value.strip().decode("latin-1")
        fields[name] = f"{fields[name]}, {text}" if name in fields else text
    raise TransportError(f"more than {_MAX_HEADERS} headers")


def _header_lines(headers: Mapping[str, str]) -> bytes:
    """``name: value`` lines, refusing what would end a line or the head early."""
    lines = []
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or _BAD_VALUE.search(value):
            raise ValueError(f"HTTP header {name!r} has a line break in its name or value")
        lines.append(b"%s: %s\r\n" % (name.encode("ascii"), value.encode("latin-1")))
    return b"".join(lines)


def _length(value: str) -> int:
    values = {v.strip() for v in value.split(",")}  # a repeated header: the same value
    if len(values) != 1 or not (length := values.pop()).isdigit():
        raise TransportError(f"invalid content-length {value[:40]!r}")
    return int(length)


def _incomplete(left: int | None, got: int | None = None) -> TransportError:
    if left is None:
        return TransportError("IncompleteRead: the upstream closed in a chunked body")
    if got is None:
        return TransportError(f"IncompleteRead: the upstream closed {left} bytes before the end")
    return TransportError(f"IncompleteRead: {got} bytes read, {left} more expected")


def _reading(read: Callable[[], bytes]) -> bytes:
    """``read()``, its socket failures as transport errors."""
    try:
        return read()
    except TimeoutError as exc:
        raise TransportTimeout(f"read timed out: {exc}") from None
    except OSError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from None


def _tunnel(sock: socket.socket, hostport: str, headers: dict[str, str]) -> None:
    """Ask an HTTP proxy for a ``CONNECT`` tunnel to ``hostport`` on ``sock``."""
    lines = _header_lines({"host": hostport, **headers})
    sock.sendall(b"CONNECT %s HTTP/1.1\r\n%s\r\n" % (hostport.encode("ascii"), lines))
    with sock.makefile("rb") as file:  # the proxy sends nothing past its answer's head
        line = file.readline(_MAX_LINE + 1)
        if not line:
            raise OSError("Tunnel connection failed: the proxy closed the connection")
        status, reason, _ = _status(line)
        _read_fields(file)
    if not 200 <= status < 300:
        raise OSError(f"Tunnel connection failed: {status} {reason}")


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: only EOF or garbage can be there."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
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
