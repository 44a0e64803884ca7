"""The HTTP client's parser against scripted raw-socket servers: framing, headers, failures."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from shipyard.llm.providers.transport import HttpClient, TransportError, TransportTimeout


class Peer:
    """One accepted connection, as a script sees it."""

    def __init__(self, sock: socket.socket, server: RawServer) -> None:
        self.sock = sock
        self.file = sock.makefile("rb")
        self.server = server

    def request(self) -> bytes | None:
        """The next whole request (head and body), or None once the client hung up."""
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.file.readline()
            if not line:
                return None
            head += line
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        request = head + self.file.read(length)
        self.server.requests.append(request)
        return request

    def send(self, *pieces: bytes) -> None:
        """Send each piece on its own, a moment apart: the client sees them split."""
        for n, piece in enumerate(pieces):
            if n:
                time.sleep(0.01)
            self.sock.sendall(piece)

    def reset(self) -> None:
        """Close with a TCP reset rather than a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class RawServer:
    """Accepts connections and runs ``script(peer, n)`` for the n-th one, each in a thread."""

    def __init__(self, script: Callable[[Peer, int], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            sock.settimeout(10)
            self.connections += 1
            thread = threading.Thread(target=self._run, args=(sock, self.connections))
            thread.start()
            self._threads.append(thread)

    def _run(self, sock: socket.socket, n: int) -> None:
        peer = Peer(sock, self)
        try:
            self.script(peer, n)
        except OSError:
            pass  # the client left first: what some tests do
        finally:
            peer.file.close()
            sock.close()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self.listener.close()


Script = Callable[[Peer, int], None]


@pytest.fixture
def serve() -> Iterator[Callable[[Script], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Script) -> RawServer:
        servers.append(RawServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def client() -> Iterator[Callable[[str], HttpClient]]:
    made: list[HttpClient] = []

    def build(url: str, headers: dict[str, str] | None = None) -> HttpClient:
        made.append(HttpClient(url, headers or {}))
        return made[-1]

    yield build
    for each in made:
        each.close()


def answer_each(*pieces: bytes) -> Script:
    """A script that answers every request on its connection with ``pieces``."""

    def script(peer: Peer, n: int) -> None:
        while peer.request() is not None:
            peer.send(*pieces)

    return script


def test_the_request_head_is_what_http_1_1_asks(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    server = serve(answer_each(b"HTTP/1.1 204 No Content\r\n\r\n"))
    http = client(f"{server.url}/v1", {"Authorization": "Bearer k", "X-Mixed": "A b"})
    assert http.post("/chat", b'{"x":1}', timeout=5).status_code == 204
    http.post("/chat", b"{}", timeout=5, headers={"AUTHORIZATION": "Bearer other", "x-b": "2"})
    http.post("/chat", b"{}", timeout=5, headers={"traceparent": "00-ab-cd-01"})
    port = server.url.rsplit(":", 1)[1]
    first, second, third = server.requests
    assert first == (
        b"POST /v1/chat HTTP/1.1\r\nhost: 127.0.0.1:%s\r\nauthorization: Bearer k\r\n"
        b"x-mixed: A b\r\naccept-encoding: identity\r\ncontent-length: 7\r\n\r\n"
        b'{"x":1}' % port.encode()
    )
    assert second.count(b"authorization:") == 1 and b"authorization: Bearer other\r\n" in second
    assert b"x-b: 2\r\n" in second and b"host: 127.0.0.1:" in second
    assert b"\r\nauthorization: Bearer k\r\n" in third and b"traceparent: 00-ab-cd-01\r\n" in third
    assert server.connections == 1


@pytest.mark.parametrize(
    "headers",
    [{"x-a": "v\r\nx-injected: 1"}, {"x-a": "v\nw"}, {"x-a\r\nb": "v"}, {"": "v"}, {"a:b": "v"}],
)
def test_a_header_with_a_line_break_is_refused_early(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        HttpClient("http://127.0.0.1:9/v1", headers)
    http = HttpClient("http://127.0.0.1:9/v1", {})
    with pytest.raises(ValueError):
        http.post("/chat", b"{}", timeout=1, headers=headers)  # before connecting to nothing


def test_a_content_length_body_is_read_exactly_and_the_connection_kept(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    body = b'{"text":\r\n\r\n"a"}'  # a body's own blank line is no head's end
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
    server = serve(answer_each(head, body[:5], body[5:]))
    http = client(server.url)
    replies = [http.post("/x", b"{}", timeout=5) for _ in range(3)]
    assert [r.content for r in replies] == [body] * 3
    assert replies[0].json() == {"text": "a"}
    assert replies[0].reason_phrase == "OK"
    assert server.connections == 1


def test_a_chunked_body_is_decoded_whole(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    server = serve(
        answer_each(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;name=value\r\nab",
            b"cd\r\n",
            b"A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n",
            b"\r\n",
        )
    )
    http = client(server.url)
    assert http.post("/x", b"{}", timeout=5).content == b"abcd0123456789"
    assert http.post("/x", b"{}", timeout=5).content == b"abcd0123456789"
    assert server.connections == 1  # the trailers were read: the next answer parsed clean


@pytest.mark.parametrize(
    ("head", "kept"),
    [
        (b"HTTP/1.0 200 OK\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 9\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 9\r\n\r\n", True),
    ],
)
def test_what_the_framing_says_decides_whether_the_connection_is_kept(
    head: bytes, kept: bool, serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    def script(peer: Peer, n: int) -> None:
        while peer.request() is not None:
            peer.send(head, b"body ", b"tail")
            if b"content-length" not in head.lower():
                return  # the body ends where the connection does

    server = serve(script)
    http = client(server.url)
    for _ in range(2):
        reply = http.post("/x", b"{}", timeout=5)
        assert reply.content == b"body tail"
    assert len(http._idle) == (1 if kept else 0)
    assert server.connections == (1 if kept else 2)


def test_interim_answers_are_skipped(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    server = serve(
        answer_each(
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        )
    )
    http = client(server.url)
    for _ in range(2):
        reply = http.post("/x", b"{}", timeout=5)
        assert (reply.status_code, reply.reason_phrase, reply.content) == (201, "Created", b"ok")
        assert "link" not in reply.headers
    assert server.connections == 1


def test_headers_read_case_insensitively_with_repeats_joined(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    server = serve(
        answer_each(
            b"HTTP/1.1 200\r\nX-Thing: a\r\nx-THING:b  \r\nContent-Type: text/plain\r\n"
            b"X-Folded: one\r\n  two\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"
        )
    )
    reply = client(server.url).post("/x", b"{}", timeout=5)
    headers = reply.headers
    assert reply.status_code == 200 and reply.reason_phrase == ""
    assert headers["X-THING"] == headers.get("x-thing") == "a, b"
    assert "X-Thing" in headers and "nope" not in headers and 3 not in headers
    assert headers.get("Content-type") == "text/plain"
    assert headers.get("nope") is None and headers.get("nope", "d") == "d"
    assert headers["x-folded"] == "one two" and headers["x-empty"] == ""
    assert dict(headers.items())["content-type"] == "text/plain"
    assert "x-thing" in list(headers) and len(headers) == 5
    with pytest.raises(KeyError):
        headers["nope"]


def test_an_error_answer_is_read_whole_posted_or_streamed(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    body = b'{"error": {"message": "overloaded"}}'
    server = serve(
        answer_each(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\nContent-Length: %d\r\n\r\n"
            % len(body),
            body,
        )
    )
    http = client(server.url)
    reply = http.post("/x", b"{}", timeout=5)
    assert (reply.status_code, reply.reason_phrase) == (503, "Service Unavailable")
    assert reply.json() == {"error": {"message": "overloaded"}}
    assert reply.headers["retry-after"] == "3"
    stream = http.open("/x", b"{}", timeout=5)
    assert stream.status_code == 503 and stream.headers.get("Retry-After") == "3"
    assert stream.read().content == body
    assert len(http._idle) == 1 and server.connections == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 OK\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 099 Low\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nName : spaced\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"x-h: v\r\n" * 101 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nx-long: " + b"v" * 70000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 4, 5\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
    ],
)
def test_a_malformed_or_cut_answer_is_a_transport_error_and_not_retried(
    answer: bytes, serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    def script(peer: Peer, n: int) -> None:
        peer.request()
        peer.send(answer)  # and hang up

    server = serve(script)
    http = client(server.url)
    with pytest.raises(TransportError) as caught:
        http.post("/x", b"{}", timeout=5)
    assert not isinstance(caught.value, TransportTimeout)
    assert server.connections == 1 and len(server.requests) == 1
    assert http._idle == []


@pytest.mark.parametrize("reset", [False, True])
def test_a_fresh_connection_closed_without_an_answer_is_not_retried(
    reset: bool, serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    def script(peer: Peer, n: int) -> None:
        peer.request()
        if reset:
            peer.reset()

    server = serve(script)
    with pytest.raises(TransportError) as caught:
        client(server.url).post("/x", b"{}", timeout=5)
    assert not isinstance(caught.value, TransportTimeout)
    assert ("ConnectionResetError" if reset else "RemoteDisconnected") in str(caught.value)
    assert server.connections == 1 and len(server.requests) == 1


def test_a_reused_connection_reset_before_the_status_line_is_retried_once(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    def script(peer: Peer, n: int) -> None:
        while peer.request() is not None:
            if n == 1 and len(peer.server.requests) == 2:
                peer.reset()
                return
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%d" % n)

    server = serve(script)
    http = client(server.url)
    assert http.post("/x", b"{}", timeout=5).content == b"1"
    assert http.post("/x", b"{}", timeout=5).content == b"2"  # on a second connection
    assert server.connections == 2 and len(server.requests) == 3


def test_a_reused_connection_cut_after_the_status_line_is_not_retried(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    def script(peer: Peer, n: int) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\n")  # then hangs up

    server = serve(script)
    http = client(server.url)
    assert http.post("/x", b"{}", timeout=5).content == b"ok"
    with pytest.raises(TransportError):
        http.post("/x", b"{}", timeout=5)
    assert server.connections == 1 and len(server.requests) == 2


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


FIRST, SECOND = b"data: 1\n\n", b"data: 2\r\n\r\ndata: 3"
FRAMINGS = {
    # the first chunk's line end comes with the second piece: nothing past the line is waited for
    "chunked": (
        b"Transfer-Encoding: chunked\r\n\r\n",
        _chunk(FIRST[:-1])[:-2],
        b"\r\n" + _chunk(FIRST[-1:]) + _chunk(SECOND[:3]) + _chunk(SECOND[3:]) + b"0\r\n\r\n",
    ),
    "content-length": (
        b"Content-Length: %d\r\n\r\n" % (len(FIRST) + len(SECOND)),
        FIRST,
        SECOND,
    ),
    "until-close": (b"Connection: close\r\n\r\n", FIRST, SECOND),
}


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_stream_yields_each_line_before_the_next_is_sent(
    framing: str, serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    head, first, rest = FRAMINGS[framing]
    seen_first = threading.Event()
    waited: list[bool] = []

    def script(peer: Peer, n: int) -> None:
        while peer.request() is not None:
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" + head, first)
            waited.append(seen_first.wait(5))
            peer.send(rest)
            if framing == "until-close":
                return

    server = serve(script)
    http = client(server.url)
    reply = http.open("/x", b"{}", timeout=2)  # a client waiting for more would time out
    assert reply.headers["content-type"] == "text/event-stream"
    lines = reply.iter_lines()
    assert next(lines) == "data: 1"
    seen_first.set()
    assert list(lines) == ["", "data: 2", "", "data: 3"]
    assert waited == [True]
    assert len(http._idle) == (0 if framing == "until-close" else 1)
    assert http.post("/x", b"{}", timeout=2).status_code == 200  # the stream was read to its end


def test_a_stream_closed_in_its_middle_drops_the_connection(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    server = serve(answer_each(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nline\nline\n"))
    http = client(server.url)
    reply = http.open("/x", b"{}", timeout=5)
    lines = reply.iter_lines()
    assert next(lines) == "line"
    reply.close()
    assert http._idle == []
    assert list(lines) == []
    assert http.post("/x", b"{}", timeout=5).status_code == 200  # a second connection
    assert server.connections == 2


def test_a_read_timeout_on_a_reused_connection_uses_that_calls_timeout(
    serve: Callable[[Script], RawServer], client: Callable[..., HttpClient]
) -> None:
    def script(peer: Peer, n: int) -> None:
        while (request := peer.request()) is not None:
            if b"/slow" in request:
                time.sleep(1.0)
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = serve(script)
    http = client(server.url)
    assert http.post("/fast", b"{}", timeout=5).content == b"ok"
    started = time.monotonic()
    with pytest.raises(TransportTimeout, match="timed out"):
        http.post("/slow", b"{}", timeout=0.2)
    assert time.monotonic() - started < 0.9
    assert http.post("/fast", b"{}", timeout=5).content == b"ok"
    assert server.connections == 2  # the one that timed out was dropped
