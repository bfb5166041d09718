"""Fixtures for the Pospal client tests: an account, a budget, clients on a mock transport."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount

# Distinctive, so a leak is easy to spot in messages and logs.
from tests.pospal.doubles import (
    APP_ID,
    BASE_URL,
    NOON_SHANGHAI,
    TEST_KEY,
    MakeClient,
    Vendor,
)


@pytest.fixture
def account() -> PospalAccount:
    return PospalAccount("store-1", BASE_URL, APP_ID, SecretStr(TEST_KEY))


@pytest.fixture
def budget(tmp_path: Path) -> CallBudget:
    return CallBudget(
        tmp_path / "budget.sqlite", limit=300, reserve=10, clock=lambda: NOON_SHANGHAI
    )


@pytest.fixture
def make_client(account: PospalAccount) -> Iterator[MakeClient]:
    clients: list[PospalClient] = []

    def make(vendor: Vendor, **kwargs: Any) -> PospalClient:
        kwargs.setdefault("backoff_base", 0)
        kwargs.setdefault("account", account)
        client = PospalClient(transport=httpx.MockTransport(vendor), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
