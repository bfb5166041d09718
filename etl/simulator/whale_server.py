"""The simulated WHALE admin API and a small ESB make-code receiver, both on 127.0.0.1.

``POST <url>/<action>`` with the documented JSON body (the URL layout is our assumption, the
client's default ``WHALE_PATH_TEMPLATE``). ``required_headers`` makes the server answer 401
unless every one of them arrives with its value, the stand-in for the authentication the
document does not describe. At start the simulator makes ``orders`` make-code orders, each
through a real HTTP call to ESB (``esb_url``, or its own :class:`EsbReceiver`); the order ids
in ``failing`` get a failed ESB answer the first time, so their notifications fail until
``makeNotifyRetry``. Every other successful order but the last gets a verification notice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import msgspec

from etl.simulator.http_server import TrackingServer
from etl.simulator.whale_api import START, WhaleApi, error, step_clock
from etl.whale.models import EsbMakeCodeRequest

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json;charset=UTF-8"
MAX_REQUEST_BYTES = 1 << 20
ESB_PATH = "/esb/makeCode"
FIRST_ORDER = 20261101000


def order_ids(count: int) -> list[str]:
    """The simulator's sale-channel order ids (11 digits, like the document's example)."""
    return [str(FIRST_ORDER + i) for i in range(1, count + 1)]


class _Server(TrackingServer):
    on_post: Callable[[BaseHTTPRequestHandler], None]

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        self.server.on_post(self)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def _read(handler: BaseHTTPRequestHandler) -> bytes | None:
    length = handler.headers.get("Content-Length", "")
    if not length.isdigit() or int(length) > MAX_REQUEST_BYTES:
        return None
    return handler.rfile.read(int(length))


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Mapping[str, Any]) -> None:
    body = msgspec.json.encode(payload)
    handler.send_response(status)
    handler.send_header("Content-Type", JSON_TYPE)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


class _Loop:
    """Start/stop of one TrackingServer on a daemon thread."""

    name = "server"

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the {self.name} is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def _start_server(self) -> None:
        server = _Server(self._address)
        server.on_post = self._serve
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=self.name
        )
        self._thread.start()

    def _stop_server(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None


class EsbReceiver(_Loop):
    """ESB's make-code endpoint (``POST /esb/makeCode``): validates WHALE's request against the
    document's table and answers like the document's example. Order ids in ``fail_first``
    fail their first call (``returnCode`` "E1"). Keeps the order ids it was called for and the
    requests (``orderEncryptKey`` masked)."""

    name = "esb-receiver"

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, fail_first: Collection[str] = ()
    ) -> None:
        super().__init__(host, port)
        self.fail_first = set(fail_first)
        self.calls: list[str] = []
        self.requests: list[dict[str, Any]] = []  # as received, orderEncryptKey masked
        self._lock = threading.Lock()

    @property
    def make_code_url(self) -> str:
        return self.url + ESB_PATH

    def start(self) -> EsbReceiver:
        if self._server is None:
            self._start_server()
        return self

    def stop(self) -> None:
        self._stop_server()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        raw = _read(handler)
        if handler.path != ESB_PATH or raw is None:
            _send(handler, 404, error("04", "not found"))
            return
        try:
            request = msgspec.json.decode(raw, type=EsbMakeCodeRequest)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            _send(handler, 200, error("01", f"参数错误: {exc}"))
            return
        order_id = request.sendChannelOrderId
        with self._lock:
            first = order_id not in self.calls
            self.calls.append(order_id)
            self.requests.append({**msgspec.to_builtins(request), "orderEncryptKey": "***"})
        if first and order_id in self.fail_first:
            _send(handler, 200, error("E1", "制码方超时"))
            return
        _send(handler, 200, _esb_success(request))


def _esb_success(request: EsbMakeCodeRequest) -> dict[str, Any]:
    """The document's example answer, filled from the request."""
    made = dt.datetime.strptime(request.createTime, "%Y%m%d%H%M%S")  # noqa: DTZ007 -- local time
    start = made.date() + dt.timedelta(days=1)
    return {
        "returnCode": "00",
        "returnMsg": "SUCCESS",
        "data": {
            "saleChannelOrderId": request.sendChannelOrderId,
            "tradeNo": request.whaleTradeNo,
            "createTime": request.createTime,
            "isNotify": "1",
            "codeNum": len(request.items),
            "items": [
                {
                    "codeDetail": [
                        {
                            "code": f"1011{request.sendChannelOrderId}{n:05d}",
                            "useTimes": 1,
                            "status": "00",
                            "statusDesc": "未使用",
                        }
                    ],
                    "validStart": f"{start:%Y%m%d}000000",
                    "validEnd": f"{start + dt.timedelta(days=10):%Y%m%d}000000",
                    "itemResultMsg": "SUCCESS",
                    "itemResultCode": "00",
                    "saleChannelItemId": item.get("saleChannelItemId"),
                    "ticketId": item.get("ticketId"),
                }
                for n, item in enumerate(request.items, start=1)
            ],
            "createDate": request.createDate,
        },
    }


class WhaleSimulator(_Loop):
    """A running simulated WHALE. Use as a context manager, or ``start()`` / ``stop()``.

    ``orders`` make-code orders are made at start (ids :func:`order_ids`); ``failing`` (default:
    the 2nd and 5th) fail their first ESB call; ``malformed`` ids get answers missing
    ``orderId``. ``esb_url`` sends the make-code calls elsewhere (default: an own receiver).
    """

    name = "whale-simulator"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        orders: int = 6,
        failing: Collection[str] | None = None,
        malformed: Collection[str] = (),
        required_headers: Mapping[str, str] | None = None,
        esb_url: str | None = None,
        verify_action: str = "verifyNotifyQuery",
        start_time: dt.datetime = START,
    ) -> None:
        super().__init__(host, port)
        ids = order_ids(orders)
        self.order_ids = ids
        self.failing = set(ids[1::3] if failing is None else failing)
        self.required_headers = dict(required_headers or {})
        self.esb = None if esb_url else EsbReceiver(fail_first=self.failing)
        self._esb_url = esb_url
        self._http = httpx.Client(timeout=5.0)
        self.api = WhaleApi(
            esb=self._call_esb,
            clock=step_clock(start_time, dt.timedelta(minutes=1)),
            verify_action=verify_action,
            malformed=set(malformed),
        )

    @property
    def esb_url(self) -> str:
        if self._esb_url:
            return self._esb_url
        assert self.esb is not None
        return self.esb.make_code_url

    def start(self) -> WhaleSimulator:
        if self._server is not None:
            return self
        if self.esb is not None:
            self.esb.start()
        self._start_server()
        if not self.api.orders:
            made = [self.api.make_code(oid, mobile="13524121212") for oid in self.order_ids]
            ok = [m["saleChannelOrderId"] for m in made if m["returnCode"] == "00"]
            for n, order_id in enumerate(ok[:-1]):
                self.api.verify(order_id, ok=n % 3 != 2)
        logger.info("WHALE simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._stop_server()
        if self.esb is not None:
            self.esb.stop()

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> WhaleSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write_order_ids(self, path: Path) -> None:
        """Write the simulator's order ids, one a line: a ``WHALE_ORDER_IDS_FILE``."""
        Path(path).write_text("".join(f"{oid}\n" for oid in self.order_ids), encoding="utf-8")

    def _call_esb(self, request: EsbMakeCodeRequest) -> dict[str, Any]:
        response = self._http.post(self.esb_url, content=msgspec.json.encode(request))
        response.raise_for_status()
        answer: dict[str, Any] = msgspec.json.decode(response.content)
        return answer

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        raw = _read(handler)
        if raw is None:
            _send(handler, 400, error("01", "Content-Length"))
            return
        for name, value in self.required_headers.items():
            if handler.headers.get(name) != value:
                # Names only: what arrived may be a real credential sent to the wrong place.
                _send(handler, 401, error("97", f"unauthorized: header {name} missing or wrong"))
                return
        action = handler.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        _send(handler, 200, self.api.handle(action, raw))


@contextmanager
def simulated_whale_env(folder: Path) -> Iterator[dict[str, str]]:
    """Run a WHALE simulator (with its ESB receiver) and yield the ``WHALE_*`` variables that
    point at it; its order ids are written to ``folder/whale-order-ids.txt``. For the demo."""
    with WhaleSimulator() as simulator:
        folder.mkdir(parents=True, exist_ok=True)
        ids = folder / "whale-order-ids.txt"
        simulator.write_order_ids(ids)
        yield {"WHALE_BASE_URL": simulator.url, "WHALE_ORDER_IDS_FILE": str(ids)}
