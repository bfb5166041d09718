"""Fixtures for the WHALE tests: the simulator (with its own ESB receiver) on 127.0.0.1 and a
client pointing at it. The simulator's clock is a fixed step clock, so every time is exact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from etl.simulator.whale_server import WhaleSimulator
from etl.whale import WhaleClient

TOKEN_HEADERS = {"X-Whale-Token": "tok-3f9a1c77e2"}


@pytest.fixture
def whale_sim() -> Iterator[WhaleSimulator]:
    with WhaleSimulator(required_headers=TOKEN_HEADERS) as sim:
        yield sim


@pytest.fixture
def whale_client(whale_sim: WhaleSimulator) -> Iterator[WhaleClient]:
    from pydantic import SecretStr

    headers = {k: SecretStr(v) for k, v in TOKEN_HEADERS.items()}
    with WhaleClient(whale_sim.url, headers=headers, backoff_base=0, timeout=5) as client:
        yield client
