"""The HTTP client over TLS: certificate checks, kept-alive TLS connections, a CONNECT proxy."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from shipyard.llm.providers import transport
from shipyard.llm.providers.transport import HttpClient, TransportError

cryptography = pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _self_signed(folder: Path, names: list[x509.GeneralName]) -> tuple[Path, Path]:
    """A self-signed certificate for ``names``: its PEM file and its key's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shipyard test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture(scope="module")
def local_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    local = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    return _self_signed(tmp_path_factory.mktemp("tls"), local)


@pytest.fixture(scope="module")
def foreign_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _self_signed(tmp_path_factory.mktemp("tls"), [x509.DNSName("elsewhere.invalid")])


@pytest.fixture
def certificate(
    request: pytest.FixtureRequest,
    local_certificate: tuple[Path, Path],
    foreign_certificate: tuple[Path, Path],
) -> tuple[Path, Path]:
    """The certificate the server shows: for 127.0.0.1 and localhost, or ``"foreign"``."""
    return (
        foreign_certificate if getattr(request, "param", None) == "foreign" else local_certificate
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, object]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:
        self.request.do_handshake()  # here, in the connection's thread, not in accept()
        super().setup()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.seen.append(
            {
                "path": self.path,
                "peer": self.client_address,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        )
        if self.path.endswith("/stream"):
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for data in (b"data: 1\n\n", b"data: 2\n\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        answer = b'{"tls": true}'
        self.send_response(200)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    context: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = self.socket.accept()
        return self.context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), address

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that refused the certificate: expected here


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    _Handler.seen = []
    httpd = _TlsServer(("127.0.0.1", 0), _Handler)
    httpd.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    httpd.context.load_cert_chain(*certificate)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def trusting(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients made from now on trust the test certificate (and nothing else)."""
    monkeypatch.setattr(
        transport, "_ssl_context", lambda: ssl.create_default_context(cafile=certificate[0])
    )


@pytest.fixture
def make() -> Iterator[Callable[[str], HttpClient]]:
    made: list[HttpClient] = []

    def build(base_url: str) -> HttpClient:
        made.append(HttpClient(base_url, {"authorization": "Bearer k"}))
        return made[-1]

    yield build
    for client in made:
        client.close()


def test_an_untrusted_certificate_is_refused(
    tls_server: int, make: Callable[[str], HttpClient]
) -> None:
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        make(f"https://127.0.0.1:{tls_server}/v1").post("/chat", b"{}", timeout=5)
    assert _Handler.seen == []


@pytest.mark.usefixtures("trusting")
@pytest.mark.parametrize("certificate", ["foreign"], indirect=True)
def test_a_trusted_certificate_for_another_host_is_refused(
    tls_server: int, make: Callable[[str], HttpClient]
) -> None:
    with pytest.raises(TransportError, match=r"CERTIFICATE_VERIFY_FAILED.*mismatch"):
        make(f"https://127.0.0.1:{tls_server}/v1").post("/chat", b"{}", timeout=5)
    assert _Handler.seen == []


@pytest.mark.usefixtures("trusting")
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_posts_and_streams_over_tls_on_one_kept_alive_connection(
    host: str, tls_server: int, make: Callable[[str], HttpClient]
) -> None:
    client = make(f"https://{host}:{tls_server}/v1")
    assert client.post("/chat", b"{}", timeout=5).json() == {"tls": True}
    reply = client.open("/stream", b"{}", timeout=5)
    assert list(reply.iter_lines()) == ["data: 1", "", "data: 2", ""]
    assert client.post("/chat", b"{}", timeout=5).status_code == 200
    assert len({str(s["peer"]) for s in _Handler.seen}) == 1
    headers = _Handler.seen[0]["headers"]
    assert isinstance(headers, dict)
    assert headers["host"] == f"{host}:{tls_server}"


class _ConnectProxy:
    """A CONNECT-only proxy that pipes bytes both ways; ``refuse`` answers 407 instead."""

    def __init__(self, refuse: bool = False) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refuse = refuse
        self.heads: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return  # closed
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                piece = client.recv(1)
                if not piece:
                    return
                head += piece
            self.heads.append(head)
            if self.refuse:
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                return
            host, _, port = head.split()[1].decode().rpartition(":")
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                back.start()
                _pipe(client, upstream)
                back.join(10)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._accepting.join(10)
        for thread in self._threads:
            thread.join(10)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@pytest.mark.usefixtures("trusting")
def test_https_goes_through_a_connect_tunnel_of_the_configured_proxy(
    tls_server: int, make: Callable[[str], HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = _ConnectProxy()
    try:
        monkeypatch.setenv("https_proxy", f"http://user:pw@127.0.0.1:{proxy.port}")
        client = make(f"https://localhost:{tls_server}/v1")
        assert client.post("/chat", b"{}", timeout=5).json() == {"tls": True}
        assert client.post("/chat", b"{}", timeout=5).status_code == 200
        client.close()  # the tunnel ends: the proxy's threads can finish
    finally:
        proxy.close()
    [head] = proxy.heads  # one tunnel, kept alive
    lines = head.decode().split("\r\n")
    assert lines[0] == f"CONNECT localhost:{tls_server} HTTP/1.1"
    auth = "Basic " + base64.b64encode(b"user:pw").decode()
    assert f"Proxy-Authorization: {auth}" in lines
    seen = _Handler.seen
    assert [s["path"] for s in seen] == ["/v1/chat", "/v1/chat"]
    headers = seen[0]["headers"]
    assert isinstance(headers, dict)
    assert "proxy-authorization" not in headers  # for the proxy, not the upstream
    assert headers["authorization"] == "Bearer k"


@pytest.mark.usefixtures("trusting")
def test_a_proxy_refusing_the_tunnel_is_a_transport_error(
    tls_server: int, make: Callable[[str], HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = _ConnectProxy(refuse=True)
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{proxy.port}")
        with pytest.raises(TransportError, match="Tunnel connection failed: 407"):
            make(f"https://localhost:{tls_server}/v1").post("/chat", b"{}", timeout=5)
    finally:
        proxy.close()
    assert _Handler.seen == []
