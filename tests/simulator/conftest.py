"""Fixtures for the simulator tests: a world, a throwaway app key pair, running gateways, a
signed-request helper and a recording push receiver. Servers listen on 127.0.0.1, port 0, and
are stopped after each test."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from etl.qianhub.auth import QianhubSigner
from etl.simulator import FaultConfig, QianhubSimulator, QianhubWorld

APP_ID = "test-app"


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="session")
def signer(private_key: rsa.RSAPrivateKey) -> QianhubSigner:
    return QianhubSigner(APP_ID, private_key)


@pytest.fixture(scope="session")
def world() -> QianhubWorld:
    return QianhubWorld()


StartSimulator = Callable[..., QianhubSimulator]


@pytest.fixture
def start_simulator(
    world: QianhubWorld, private_key: rsa.RSAPrivateKey
) -> Iterator[StartSimulator]:
    started: list[QianhubSimulator] = []

    def start(faults: FaultConfig | None = None) -> QianhubSimulator:
        simulator = QianhubSimulator(
            world, apps={APP_ID: private_key.public_key()}, faults=faults or FaultConfig()
        )
        started.append(simulator.start())
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def simulator(start_simulator: StartSimulator) -> QianhubSimulator:
    return start_simulator()


Post = Callable[..., httpx.Response]


@pytest.fixture
def post(signer: QianhubSigner) -> Iterator[Post]:
    """``post(url, action, body, **httpx_kwargs)``: serialise once, sign those bytes, send them."""
    client = httpx.Client(timeout=10)

    def send(url: str, action: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        raw = msgspec.json.encode({"version": "1.0", "action": action, "body": body})
        headers = {"Content-Type": "application/json", **signer.headers(raw)}
        return client.post(url, content=raw, headers=headers, **kwargs)

    yield send
    client.close()


@dataclass(frozen=True)
class Received:
    """One POST as it arrived: the raw body and the headers (names lower-cased)."""

    raw: bytes
    headers: dict[str, str]


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sender that timed out hung up on a slow answer: expected


class PushReceiver:
    """A webhook on 127.0.0.1 that records every POST. It answers ``status`` to the first
    ``fail_first`` requests and 200 after; the first ``slow_first`` requests wait ``delay``
    seconds before answering (a sender's timeout). It checks nothing: the tests do."""

    def __init__(
        self, *, fail_first: int = 0, status: int = 500, slow_first: int = 0, delay: float = 0.0
    ) -> None:
        self.received: list[Received] = []
        lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    receiver.received.append(
                        Received(raw, {k.lower(): v for k, v in self.headers.items()})
                    )
                    n = len(receiver.received)
                if n <= slow_first:
                    time.sleep(delay)
                self.send_response(status if n <= fail_first else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/pospal/push"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


StartReceiver = Callable[..., PushReceiver]


@pytest.fixture
def push_receiver() -> Iterator[StartReceiver]:
    """``push_receiver(fail_first=..., status=..., slow_first=..., delay=...)``: a running
    :class:`PushReceiver`, stopped after the test."""
    started: list[PushReceiver] = []

    def start(**kwargs: Any) -> PushReceiver:
        started.append(PushReceiver(**kwargs))
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()
