"""The providers' HTTP client against real local servers: keep-alive, streams, auth, failures."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from shipyard.llm.providers.transport import HttpClient, TransportError, TransportTimeout


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, object]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.seen.append(
            {
                "path": self.path,
                "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "peer": self.client_address,
            }
        )
        if self.path.startswith("/v1/slow"):
            time.sleep(1.0)
        if self.path.startswith("/v1/stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for n in range(3):
                data = f"data: {n}\r\n\r\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.startswith("/v1/bye"):  # answers, then closes the kept-alive connection
            self.close_connection = True
        answer = json.dumps({"ok": True, "n": len(self.seen)}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and left: expected here


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen = []
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def make() -> Iterator[Callable[..., HttpClient]]:
    """``HttpClient(...)``, closed after the test (idle connections are sockets)."""
    made: list[HttpClient] = []

    def build(base_url: str, headers: dict[str, str] | None = None) -> HttpClient:
        made.append(HttpClient(base_url, headers or {}))
        return made[-1]

    yield build
    for client in made:
        client.close()


def test_posts_under_the_base_path_and_reuses_one_connection(
    server: str, make: Callable[..., HttpClient]
) -> None:
    client = make(f"{server}/v1?api-version=7", {"x-test": "yes"})
    replies = [client.post("/chat", b'{"a":1}', timeout=5) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert replies[-1].json()["ok"] is True
    seen = _Handler.seen
    assert [s["path"] for s in seen] == ["/v1/chat?api-version=7"] * 3
    assert seen[0]["body"] == b'{"a":1}'
    headers = seen[0]["headers"]
    assert isinstance(headers, dict)
    assert headers["x-test"] == "yes" and headers["accept-encoding"] == "identity"
    assert len({s["peer"] for s in seen}) == 1  # kept alive


def test_a_connection_the_upstream_closed_is_not_reused(
    server: str, make: Callable[..., HttpClient]
) -> None:
    client = make(server)
    assert client.post("/v1/bye", b"{}", timeout=5).status_code == 200
    time.sleep(0.05)
    assert client.post("/v1/chat", b"{}", timeout=5).status_code == 200
    assert client.post("/v1/chat", b"{}", timeout=5).status_code == 200
    peers = [s["peer"] for s in _Handler.seen]
    assert peers[0] != peers[1] and peers[1] == peers[2]


def test_a_stale_connection_is_retried_once_on_a_fresh_one(
    server: str, make: Callable[..., HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the idle check cannot win: the upstream closes as the request goes out."""
    from shipyard.llm.providers import transport

    monkeypatch.setattr(transport, "_readable", lambda sock: False)
    client = make(server)
    assert client.post("/v1/bye", b"{}", timeout=5).status_code == 200  # then it hangs up
    time.sleep(0.05)
    assert len(client._idle) == 1
    assert client.post("/v1/chat", b"{}", timeout=5).json()["n"] == 2
    assert len(_Handler.seen) == 2  # sent once on the fresh connection


def test_streams_chunked_lines_as_they_arrive_and_returns_the_connection(
    server: str, make: Callable[..., HttpClient]
) -> None:
    client = make(server)
    reply = client.open("/v1/stream", b"{}", timeout=5)
    assert reply.status_code == 200
    assert reply.headers.get("content-type") == "text/event-stream"
    assert list(reply.iter_lines()) == ["data: 0", "", "data: 1", "", "data: 2", ""]
    assert len(client._idle) == 1
    assert client.post("/v1/chat", b"{}", timeout=5).status_code == 200
    assert len({s["peer"] for s in _Handler.seen}) == 1


def test_a_stream_closed_early_drops_its_connection(
    server: str, make: Callable[..., HttpClient]
) -> None:
    client = make(server)
    reply = client.open("/v1/stream", b"{}", timeout=5)
    lines = reply.iter_lines()
    assert next(lines) == "data: 0"
    lines.close()
    assert client._idle == []


def test_user_info_in_the_base_url_is_basic_auth(
    server: str, make: Callable[..., HttpClient]
) -> None:
    host = server.removeprefix("http://")
    client = make(f"http://bob:s%40cret@{host}/v1", {"authorization": "Bearer x"})
    client.post("/chat", b"{}", timeout=5)
    headers = _Handler.seen[0]["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == "Basic " + base64.b64encode(b"bob:s@cret").decode()


def test_timeouts_and_refused_connections_are_transport_errors(
    server: str, make: Callable[..., HttpClient]
) -> None:
    client = make(server)
    with pytest.raises(TransportTimeout):
        client.post("/v1/slow", b"{}", timeout=0.2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as refused:
        make(f"http://127.0.0.1:{port}").post("/x", b"{}", timeout=2)
    assert not isinstance(refused.value, TransportTimeout)


def test_plain_http_goes_through_the_configured_proxy(
    server: str, make: Callable[..., HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", f"http://user:pw@{server.removeprefix('http://')}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = make("http://upstream.invalid:8000/v1")
    assert client.post("/chat", b"{}", timeout=5).status_code == 200
    seen = _Handler.seen[0]
    assert seen["path"] == "http://upstream.invalid:8000/v1/chat"
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"user:pw").decode()


def test_a_base_url_without_a_host_is_refused() -> None:
    with pytest.raises(ValueError):
        HttpClient("ftp://x", {})
    with pytest.raises(ValueError):
        HttpClient("http:///v1", {})


def test_a_plain_proxy_gets_the_authority_as_a_url_has_it(
    server: str, make: Callable[..., HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default port left out, an IPv6 literal in brackets: in the URL and in ``host``."""
    monkeypatch.setenv("http_proxy", server)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    make("http://upstream.invalid/v1").post("/chat", b"{}", timeout=5)
    make("http://[fd00::1]:8000/v1").post("/chat", b"{}", timeout=5)
    seen = _Handler.seen
    assert [s["path"] for s in seen] == [
        "http://upstream.invalid/v1/chat",
        "http://[fd00::1]:8000/v1/chat",
    ]
    hosts = [s["headers"]["host"] for s in seen]  # type: ignore[index]
    assert hosts == ["upstream.invalid", "[fd00::1]:8000"]


def test_threads_share_the_pool_one_connection_per_thread_at_a_time(
    server: str, make: Callable[..., HttpClient]
) -> None:
    client = make(f"{server}/v1")
    statuses: list[int] = []

    def work() -> None:
        for _ in range(20):
            statuses.append(client.post("/chat", b"{}", timeout=5).status_code)
            reply = client.open("/stream", b"{}", timeout=5)
            assert list(reply.iter_lines()) == ["data: 0", "", "data: 1", "", "data: 2", ""]

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 120
    assert 1 <= len(client._idle) <= 6
    assert len({s["peer"] for s in _Handler.seen}) <= 6
