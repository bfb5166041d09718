"""Fixtures for the simulator tests: a world, a throwaway app key pair, running gateways and a
signed-request helper. Servers listen on 127.0.0.1, port 0, and are stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
