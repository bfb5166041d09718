"""The simulated QianHub gateway on 127.0.0.1: ``POST /gateway``, signed JSON, faults on demand.

Built on the stdlib :class:`http.server.ThreadingHTTPServer` rather than an ASGI framework: the
faults need socket-level control -- closing a connection without a response or half-way through
a body, stalling before answering -- which ASGI servers hide behind their own protocol handling.

Success is HTTP 200, ``application/json; charset=utf-8``, encoded by msgspec with
``decimal_format="number"``: money goes out as exact JSON numbers (never through a float) and
ids beyond 2**53 as exact integers. Errors follow :mod:`etl.simulator.qianhub_gateway`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler
from types import TracebackType

import msgspec
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from etl.qianhub.auth import APP_HEADER, SIGN_HEADER
from etl.simulator.counters import Counters, SimulatorStats
from etl.simulator.faults import (
    FaultConfig,
    FaultInjector,
    TransientFault,
    with_malformed,
    with_reordered,
)
from etl.simulator.http_server import TrackingServer
from etl.simulator.qianhub_gateway import QUERY_ACTIONS, GatewayReply, QianhubGateway
from etl.simulator.qianhub_world import QianhubWorld

logger = logging.getLogger(__name__)

PATH = "/gateway"
JSON_TYPE = "application/json; charset=utf-8"
MAX_REQUEST_BYTES = 1 << 20
_NGINX = "\r\n".join(
    (
        "<html>",
        "<head><title>{0}</title></head>",
        "<body>",
        "<center><h1>{0}</h1></center>",
        "<hr><center>nginx</center>",
        "</body>",
        "</html>",
        "",
    )
)
_GATEWAY_ERRORS = (
    (502, "502 Bad Gateway"),
    (503, "503 Service Temporarily Unavailable"),
    (504, "504 Gateway Time-out"),
)


class _Server(TrackingServer):
    simulator: QianhubSimulator

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        self.server.simulator._serve(self)

    def _not_allowed(self) -> None:
        self.server.simulator._reply_error(self, 405, "Request method not supported: use POST")

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _not_allowed

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class QianhubSimulator:
    """A running simulated gateway. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(
        self,
        world: QianhubWorld,
        *,
        apps: dict[str, RSAPublicKey] | None = None,
        faults: FaultConfig = FaultConfig(),  # noqa: B008 -- frozen dataclass, immutable
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.world = world
        self.faults = faults
        self.gateway = QianhubGateway(world, apps)
        self._host = host
        self._port = port
        self._injector = FaultInjector(faults)
        self._counters = Counters()
        self._encoder = msgspec.json.Encoder(decimal_format="number")
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    @property
    def stats(self) -> SimulatorStats:
        return self._counters.snapshot()

    def start(self) -> QianhubSimulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port))
        server.simulator = self
        self._server = server
        # A short poll interval makes stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="qianhub-simulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("QianHub simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes handlers stalled by timeout/slow faults
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> QianhubSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- request handling (handler threads) --------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        if handler.path.split("?", 1)[0] != PATH:
            self._reply_error(handler, 404, f"no such path {handler.path!r}; use {PATH}")
            return
        length_text = handler.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._reply_error(handler, 400, "Content-Length required")
            return
        length = int(length_text)
        if length > MAX_REQUEST_BYTES:
            self._reply_error(handler, 400, f"request body over {MAX_REQUEST_BYTES} bytes")
            return
        raw = handler.rfile.read(length)
        reply = self.gateway.handle(
            raw, handler.headers.get(APP_HEADER), handler.headers.get(SIGN_HEADER)
        )
        self._counters.request(reply.action or "-")
        if reply.error_code is not None:
            self._counters.error(reply.error_code)
        body = self._encode(reply)
        fault = self._injector.draw()
        if fault is None:
            self._send(handler, reply.status, body)
            return
        self._counters.fault(fault.kind)
        self._inject(handler, fault, reply.status, body)

    def _encode(self, reply: GatewayReply) -> bytes:
        payload = reply.payload
        if reply.status == 200 and reply.action in QUERY_ACTIONS and isinstance(payload, list):
            payload, added = with_malformed(payload, self.faults)
            if added:
                self._counters.fault("malformed", added)
            payload, shuffled = with_reordered(payload, self.faults)
            if shuffled:
                self._counters.fault("reorder")
        body = self._encoder.encode(payload)
        limit = self.faults.oversize_over_hours
        if reply.window_hours is not None and limit is not None and reply.window_hours > limit:
            self._counters.fault("oversized")
            # Trailing whitespace keeps the JSON valid; only the size is the problem.
            body += b" " * max(0, self.faults.oversize_bytes - len(body))
        return body

    def _inject(self, handler: _Handler, fault: TransientFault, status: int, body: bytes) -> None:
        if fault.kind == "5xx":
            if fault.variant % 4 == 0:
                self._reply_error(handler, 500, "injected fault", code=1000)
            else:
                code, title = _GATEWAY_ERRORS[fault.variant % 3]
                # The gateway sits behind nginx: a 502/503/504 comes as an HTML page.
                self._send(handler, code, _NGINX.format(title).encode(), "text/html")
        elif fault.kind == "drop":
            handler.close_connection = True
            if fault.variant % 2:
                # Headers promise the whole body; half of it arrives, then the socket closes.
                self._send(handler, status, body, cut=max(1, len(body) // 2))
            else:
                _abort(handler)
        elif fault.kind == "timeout":
            if not self._stopping.wait(self.faults.timeout_delay):
                self._send(handler, status, body)
        elif fault.kind == "slow":
            self._stopping.wait(self.faults.slow_delay)
            self._send(handler, status, body)
        elif fault.kind == "envelope":
            # The vendor's error body in an HTTP 200: only its shape says it is not the answer.
            payload = {"error_code": 1000, "message": "系统错误", "extra_message": "injected fault"}
            self._send(handler, 200, self._encoder.encode(payload))

    def _reply_error(self, handler: _Handler, status: int, extra: str, code: int = 1000) -> None:
        payload = {"error_code": code, "message": "系统错误", "extra_message": extra}
        self._send(handler, status, self._encoder.encode(payload))

    def _send(
        self,
        handler: _Handler,
        status: int,
        body: bytes,
        content_type: str = JSON_TYPE,
        cut: int | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body if cut is None else body[:cut])
        handler.wfile.flush()


def _abort(handler: _Handler) -> None:
    """Close the connection without a byte of response, as a crashed upstream does."""
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)
