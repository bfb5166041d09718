"""The simulated Pospal open API v1 on 127.0.0.1: signed JSON over HTTP, faults on demand.

``POST <url>/pospal-api2/openapi/v1/<module>/<method>``, protocol in
:mod:`etl.simulator.pospal_api`. Built on the stdlib :class:`http.server.ThreadingHTTPServer`
for the same reason as the QianHub simulator: the faults need socket-level control.

Answers are ``application/json;charset=UTF-8``, encoded by msgspec with
``decimal_format="number"`` (money as exact JSON numbers, ids beyond 2**53 as exact integers,
Chinese as raw UTF-8), gzip-compressed when the request accepts gzip -- the documented request
headers do. Transient faults (5xx, drop, timeout, slow) are drawn per request as in QianHub and
hit after the call was counted against the quota, as a real server's would.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType

import msgspec

from etl.simulator.counters import Counters
from etl.simulator.faults import FaultConfig, FaultInjector, TransientFault
from etl.simulator.http_server import TrackingServer
from etl.simulator.pospal_api import SIGNATURE_CODES, ApiReply, PospalApi
from etl.simulator.pospal_world import PospalWorld

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json;charset=UTF-8"
MAX_REQUEST_BYTES = 1 << 20
_NGINX = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_GATEWAY_ERRORS = ((502, "502 Bad Gateway"), (503, "503 Service Temporarily Unavailable"))


@dataclass(frozen=True)
class PospalStats:
    """A snapshot: requests per method (``-`` for unknown paths), faults injected per kind
    (``malformed`` counts corrupted copies, ``duplicate`` repeated rows), errors per code (HTTP
    status for answers without one), calls counted per appId on the clock's day."""

    requests: Mapping[str, int] = field(default_factory=dict)
    faults: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[int, int] = field(default_factory=dict)
    quota_used: Mapping[str, int] = field(default_factory=dict)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def rejected_signatures(self) -> int:
        return sum(n for code, n in self.errors.items() if code in SIGNATURE_CODES)


class _Server(TrackingServer):
    simulator: PospalSimulator

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        self.server.simulator._serve(self)

    def _not_allowed(self) -> None:
        body = b'{"status":"error","messages":["Request method not supported"]}'
        self.server.simulator._send(self, 405, body)

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class PospalSimulator:
    """A running simulated Pospal API. Use as a context manager, or ``start()`` / ``stop()``.

    ``accounts`` maps appId -> appKey (``world.accounts()`` for every store; a subset leaves
    the others unknown, 1034). ``page_sizes`` overrides the server-chosen page sizes of
    ``tickets``, ``orders`` and ``history`` (100 each), e.g. to page small worlds.
    """

    def __init__(
        self,
        world: PospalWorld,
        *,
        accounts: dict[str, str],
        faults: FaultConfig = FaultConfig(),  # noqa: B008 -- frozen dataclass, immutable
        quota: int = 300,
        host: str = "127.0.0.1",
        port: int = 0,
        page_sizes: Mapping[str, int] | None = None,
    ) -> None:
        self.world = world
        self.faults = faults
        self.api = PospalApi(world, accounts, quota=quota, faults=faults, page_sizes=page_sizes)
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
        """The base URL (``http://127.0.0.1:<port>``); paths go under ``/pospal-api2/...``."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def stats(self) -> PospalStats:
        snapshot = self._counters.snapshot()
        return PospalStats(
            snapshot.requests, snapshot.faults, snapshot.errors, self.api.quota_used()
        )

    def start(self) -> PospalSimulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port))
        server.simulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="pospal-simulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("Pospal simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> PospalSimulator:
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
        length_text = handler.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit() or int(length_text) > MAX_REQUEST_BYTES:
            self._send(handler, 400, b'{"status":"error","messages":["Content-Length"]}')
            return
        raw = handler.rfile.read(int(length_text))
        path = handler.path.split("?", 1)[0]
        reply = self.api.handle(path, raw, handler.headers.get("data-signature"))
        self._counters.request(reply.method or "-")
        if reply.error_code is not None or reply.status != 200:
            self._counters.error(reply.error_code or reply.status)
        for kind, n in (reply.faults or {}).items():
            self._counters.fault(kind, n)
        body = self._encode(reply)
        gzipped = "gzip" in (handler.headers.get("Accept-Encoding") or "").lower()
        if gzipped:
            body = gzip.compress(body, compresslevel=5, mtime=0)
        fault = self._injector.draw()
        if fault is None:
            self._send(handler, reply.status, body, gzipped=gzipped)
            return
        self._counters.fault(fault.kind)
        self._inject(handler, fault, reply.status, body, gzipped)

    def _encode(self, reply: ApiReply) -> bytes:
        body = self._encoder.encode(reply.payload)
        limit = self.faults.oversize_over_hours
        if reply.window_hours is not None and limit is not None and reply.window_hours > limit:
            self._counters.fault("oversized")
            # Trailing whitespace keeps the JSON valid; only the size is the problem.
            body += b" " * max(0, self.faults.oversize_bytes - len(body))
        return body

    def _inject(
        self, handler: _Handler, fault: TransientFault, status: int, body: bytes, gzipped: bool
    ) -> None:
        if fault.kind == "5xx":
            if fault.variant % 3 == 0:
                error = '{"status":"error","messages":["系统繁忙,请稍后再试"]}'
                self._send(handler, 500, error.encode())
            else:
                code, title = _GATEWAY_ERRORS[fault.variant % 2]
                self._send(handler, code, _NGINX.format(title).encode(), "text/html")
        elif fault.kind == "drop":
            handler.close_connection = True
            if fault.variant % 2:
                self._send(handler, status, body, gzipped=gzipped, cut=max(1, len(body) // 2))
            else:
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
        elif fault.kind == "timeout":
            if not self._stopping.wait(self.faults.timeout_delay):
                self._send(handler, status, body, gzipped=gzipped)
        elif fault.kind == "slow":
            self._stopping.wait(self.faults.slow_delay)
            self._send(handler, status, body, gzipped=gzipped)
        elif fault.kind == "envelope":
            # Pospal answers errors as HTTP 200 too: the envelope alone says it failed.
            error = '{"status":"error","messages":["系统繁忙,请稍后再试"]}'
            self._send(handler, 200, error.encode())

    def _send(
        self,
        handler: _Handler,
        status: int,
        body: bytes,
        content_type: str = JSON_TYPE,
        *,
        gzipped: bool = False,
        cut: int | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if gzipped:
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body if cut is None else body[:cut])
        handler.wfile.flush()
