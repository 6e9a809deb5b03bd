"""deploy/ (issue 12 §6) with a real nginx: the rendered configuration enforces its limits.

tests/test_deploy.py reads the configuration; here nginx runs it (installed nginx and openssl
needed, else skipped), in front of a small stand-in for the app that records what reaches it.
Each test starts its own nginx on free ports, so every rate-limit zone starts empty. The limits
are lowered (ProxySettings) so that a few requests reach them; the directives are the template's.
No sleeps: the test waits for nginx to accept connections and for requests to reach the stand-in.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lib.deploy import ProxySettings, render_proxy_config

pytestmark = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")),
    reason="nginx ou openssl absent : la configuration du proxy n'est alors vérifiée que par tests/test_deploy.py")

SERVER_NAME = "passerelles.example.org"
START_TIMEOUT_S = 20.0
WAIT_S = 20.0
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandIn(ThreadingHTTPServer):
    """The app's place behind the proxy: answers 200 (101 to a websocket upgrade) and records each request.

    ``/slow`` and websocket sessions are held open until :meth:`release`, to have requests in flight.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _StandInHandler)
        self.seen: list[tuple[str, str, dict[str, str], int]] = []  # method, path, headers, body length
        self.changed = threading.Condition()
        self.released = threading.Event()

    def record(self, method: str, path: str, headers: dict[str, str], body: int) -> None:
        with self.changed:
            self.seen.append((method, path, headers, body))
            self.changed.notify_all()

    def paths(self) -> list[str]:
        with self.changed:
            return [path for _method, path, _headers, _body in self.seen]

    def wait_for(self, path: str, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.paths().count(path) >= count, timeout=WAIT_S), self.seen

    def release(self) -> None:
        self.released.set()


class _StandInHandler(BaseHTTPRequestHandler):
    server: StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.record(self.command, self.path, dict(self.headers.items()), len(body))
        if self.path == "/_stcore/stream" and self.headers.get("Upgrade", "").lower() == "websocket":
            accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WEBSOCKET_GUID).encode())
                                      .digest()).decode()
            self.send_response(101, "Switching Protocols")
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            self.server.released.wait(WAIT_S)
            self.close_connection = True
            return
        if self.path == "/slow":
            self.server.released.wait(WAIT_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _answer


@dataclass
class Proxy:
    https_port: int
    http_port: int
    app: StandIn
    error_log: Path

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, port: int | None = None) -> http.client.HTTPResponse:
        """One request on a new connection; the response is read whole."""
        if port == self.http_port:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
        else:
            connection = http.client.HTTPSConnection("127.0.0.1", port or self.https_port, timeout=WAIT_S,
                                                     context=_client_tls())
        connection.request(method, path, body=body, headers={"Host": SERVER_NAME, **(headers or {})})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    def open_session(self) -> tuple[ssl.SSLSocket, str]:
        """A websocket handshake on /_stcore/stream, as the browser opens a session: (socket kept open, status line)."""
        sock = _client_tls().wrap_socket(socket.create_connection(("127.0.0.1", self.https_port), timeout=WAIT_S),
                                         server_hostname=SERVER_NAME)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {SERVER_NAME}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(256)
            assert chunk, "connexion fermée sans réponse"
            head += chunk
        return sock, head.split(b"\r\n")[0].decode()

    def errors(self) -> str:
        return self.error_log.read_text(errors="replace")


def _client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


# Low limits, so that a handful of requests reaches each of them; the rest is the README's configuration.
SETTINGS = dict(upload_mb=1, stream_rate="1r/m", stream_burst=4, sessions_per_client=2,
                upload_rate="1r/m", upload_burst=1, page_rate="100r/s", page_burst=100, connections_per_client=50)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("certificat")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    f"/CN={SERVER_NAME}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def proxy(tmp_path, certificate) -> Iterator[Proxy]:
    app = StandIn()
    threading.Thread(target=app.serve_forever, daemon=True).start()
    cert, key = certificate
    https_port, http_port = free_port(), free_port()
    site = render_proxy_config(ProxySettings(
        server_name=SERVER_NAME, upstream=f"127.0.0.1:{app.server_address[1]}", certificate=str(cert),
        certificate_key=str(key), https_port=https_port, http_port=http_port, **SETTINGS))
    (tmp_path / "site.conf").write_text(site)
    error_log = tmp_path / "error.log"
    temp = "\n".join(f" {name}_temp_path {tmp_path}/{name};" for name in ("client_body", "proxy", "fastcgi",
                                                                          "uwsgi", "scgi"))
    # As root, nginx's workers would run as "nobody", who cannot enter pytest's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {error_log} info;\nworker_processes 1;\nevents {{}}\n"
        f"http {{\n access_log off;\n{temp}\n include {tmp_path}/site.conf;\n}}\n")
    process = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # until nginx accepts connections (or has exited)
            assert process.poll() is None, f"nginx ne démarre pas : {process.stderr.read()}"
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx n'écoute pas"
                time.sleep(0.05)
        yield Proxy(https_port, http_port, app, error_log)
    finally:
        app.release()
        process.terminate()
        process.wait(timeout=30)
        app.shutdown()
        app.server_close()


def test_only_the_apps_paths_reach_it_and_http_redirects(proxy):
    assert proxy.request("GET", "/_stcore/health").status == 200
    for path in ("/_stcore/metrics", "/_stcore/script-health-check", "/Carte/_stcore/stream", "/auth/login"):
        assert proxy.request("GET", path).status == 404, path
    assert proxy.app.paths() == ["/_stcore/health"]
    redirect = proxy.request("GET", "/Impact", port=proxy.http_port)
    assert (redirect.status, redirect.getheader("Location")) == (301, f"https://{SERVER_NAME}/Impact")


def test_a_body_is_refused_except_an_upload_within_the_apps_limit(proxy):
    assert proxy.request("POST", "/", body=b"x=1").status == 403
    assert proxy.request("POST", "/", body=b"x" * 2048).status == 413  # 1k anywhere but the upload path
    upload = "/_stcore/upload_file/session/fichier"
    assert proxy.request("PUT", upload, body=b"x" * 20_000).status == 200
    # upload_mb = 1: 1 MiB + 1 MiB of multipart envelope; one byte more is refused before the app sees it.
    too_big = proxy.request("PUT", upload, headers={"Content-Length": str(2 * 1024 * 1024 + 1)})
    assert too_big.status == 413
    assert [(m, p, n) for m, p, _h, n in proxy.app.seen] == [("PUT", upload, 20_000)]


def test_sessions_and_uploads_are_rate_limited(proxy):
    # 1 per minute, plus the burst: the next one is refused (429) and never reaches the app.
    assert [proxy.request("GET", "/_stcore/stream").status for _ in range(6)] == [200] * 5 + [429]
    upload = "/_stcore/upload_file/s/f"
    assert [proxy.request("PUT", upload, body=b"x").status for _ in range(3)] == [200, 200, 429]
    assert proxy.app.paths().count("/_stcore/stream") == 5 and proxy.app.paths().count(upload) == 2


def test_open_sessions_are_limited_apart_from_requests_in_flight(proxy):
    # A page still loading its files: 5 requests in flight (more than the 2 sessions allowed here).
    loading = [threading.Thread(target=proxy.request, args=("GET", "/slow")) for _ in range(5)]
    for thread in loading:
        thread.start()
    proxy.app.wait_for("/slow", 5)
    sessions = [proxy.open_session() for _ in range(3)]
    try:
        assert [status.split(" ")[1] for _sock, status in sessions] == ["101", "101", "429"], proxy.errors()
        assert 'limiting connections by zone "passerelles_sessions"' in proxy.errors()
    finally:
        proxy.app.release()
        for sock, _status in sessions:
            sock.close()
        for thread in loading:
            thread.join(WAIT_S)


def test_the_app_gets_the_address_nginx_saw_not_the_clients_header(proxy):
    proxy.request("GET", "/Impact", headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"})
    (_method, _path, headers, _body), = proxy.app.seen
    assert headers["X-Forwarded-For"] == "127.0.0.1" and headers["X-Real-IP"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "https"
