"""Fault injection on the Pospal simulator, as a plain httpx client sees it: transient faults
(counted against the quota all the same), corrupted ticket copies, rows repeated across pages
and oversized bodies."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from etl.simulator import FaultConfig, PospalSimulator, PospalWorld

DAY = dt.date(2026, 11, 2)
DAY_WINDOW = {"startTime": "2026-11-02 06:00:00", "endTime": "2026-11-03 06:00:00"}
LATER = dt.datetime(2026, 11, 30)
URL_PATH = "/pospal-api2/openapi/v1/ticketOpenApi/queryTicketPages"
ENCODER = msgspec.json.Encoder(decimal_format="number")
DECODER = msgspec.json.Decoder(float_hook=Decimal)


@pytest.fixture(scope="module")
def world() -> PospalWorld:
    return PospalWorld(tickets_per_day=(230, 230), as_of=LATER)


@pytest.fixture
def start(world: PospalWorld) -> Iterator[Any]:
    started: list[PospalSimulator] = []

    def run(faults: FaultConfig, **kwargs: Any) -> PospalSimulator:
        simulator = PospalSimulator(world, accounts=world.accounts(), faults=faults, **kwargs)
        started.append(simulator.start())
        return simulator

    yield run
    for simulator in started:
        simulator.stop()


def post(simulator: PospalSimulator, params: dict[str, Any], timeout: float = 10) -> httpx.Response:
    app_id, key = next(iter(simulator.api.accounts.items()))
    body = ENCODER.encode({"appId": app_id, **params})
    signature = hashlib.md5(key.encode() + body).hexdigest().upper()
    headers = {"data-signature": signature, "Accept-Encoding": "gzip,deflate"}
    return httpx.post(simulator.url + URL_PATH, content=body, headers=headers, timeout=timeout)


def all_pages(simulator: PospalSimulator, params: dict[str, Any]) -> list[list[Any]]:
    pages: list[list[Any]] = []
    cursor = None
    while True:
        extra = {} if cursor is None else {"postBackParameter": cursor}
        data = DECODER.decode(post(simulator, {**params, **extra}).content)["data"]
        pages.append(data["result"])
        intact = [r for r in data["result"] if not is_corrupt(r)]
        if len(intact) < data["pageSize"]:
            return pages
        cursor = data["postBackParameter"]


def clean(world: PospalWorld) -> list[Any]:
    app_id = world.stores()[0].app_id
    return DECODER.decode(ENCODER.encode(world.tickets(app_id, DAY)))


def is_corrupt(ticket: Any) -> bool:
    if ticket is None:
        return True
    return (
        not isinstance(ticket["uid"], int)
        or not isinstance(ticket["totalAmount"], Decimal | int)
        or ticket["datetime"][5:7] == "13"
        or any(isinstance(item, str) for item in ticket["items"])
    )


def test_5xx_answers_still_cost_a_call(start: Any, world: PospalWorld) -> None:
    simulator = start(FaultConfig(error_5xx=1.0))
    statuses = [post(simulator, DAY_WINDOW).status_code for _ in range(6)]
    assert set(statuses) <= {500, 502, 503} and len(set(statuses)) > 1
    stats = simulator.stats
    assert stats.faults == {"5xx": 6}
    assert stats.quota_used[world.stores()[0].app_id] == 6


def test_drop_closes_or_cuts_the_connection(start: Any) -> None:
    simulator = start(FaultConfig(drop=1.0))
    messages = []
    for _ in range(6):
        with pytest.raises(httpx.TransportError) as caught:
            post(simulator, DAY_WINDOW)
        messages.append(str(caught.value))
    assert simulator.stats.faults == {"drop": 6}
    assert any("without sending a response" in m for m in messages)
    assert any("without sending a response" not in m for m in messages)


def test_timeout_and_slow(start: Any, world: PospalWorld) -> None:
    stalled = start(FaultConfig(timeout=1.0, timeout_delay=30.0))
    with pytest.raises(httpx.ReadTimeout):
        post(stalled, DAY_WINDOW, timeout=0.3)
    slow = start(FaultConfig(slow=1.0, slow_delay=0.25))
    response = post(slow, DAY_WINDOW)
    assert response.elapsed >= dt.timedelta(seconds=0.25)
    assert DECODER.decode(response.content)["data"]["result"] == clean(world)[:100]


def test_malformed_copies_sit_next_to_intact_tickets(start: Any, world: PospalWorld) -> None:
    simulator = start(FaultConfig(malformed=0.3, seed=5))
    first = post(simulator, DAY_WINDOW)
    assert post(simulator, DAY_WINDOW).content == first.content  # same request, same copies
    pages = all_pages(simulator, DAY_WINDOW)
    rows = [row for page in pages for row in page]
    intact = [row for row in rows if not is_corrupt(row)]
    broken = [row for row in rows if is_corrupt(row)]
    assert intact == clean(world)  # rejecting every copy equals a clean load
    assert 0 < len(broken) < len(intact)
    for index, row in enumerate(rows):
        if is_corrupt(row):
            assert not is_corrupt(rows[index - 1])  # right after its original
            if row is not None and isinstance(row["uid"], int):
                assert row["uid"] == rows[index - 1]["uid"]
    kinds = {
        "null" if r is None else "uid" if not isinstance(r["uid"], int) else "other" for r in broken
    }
    assert kinds == {"null", "uid", "other"}
    # A uid that went through a double arrives as a fraction (decoded here as a Decimal).
    assert any(r is not None and isinstance(r["uid"], Decimal) for r in broken)
    assert simulator.stats.faults["malformed"] >= len(broken)


def test_duplicate_rows_across_pages(start: Any, world: PospalWorld) -> None:
    simulator = start(FaultConfig(duplicate=1.0))
    pages = all_pages(simulator, DAY_WINDOW)
    assert [len(p) for p in pages] == [100, 100, 32]  # 230 rows + 2 repeated
    for previous, page in itertools.pairwise(pages):
        assert page[0] == previous[-1]  # each later page starts with the last row again
    rows = [row for page in pages for row in page]
    unique = list({row["uid"]: row for row in rows}.values())
    assert unique == clean(world)
    assert simulator.stats.faults == {"duplicate": 2}


def test_oversized_pads_long_windows_only(start: Any, world: PospalWorld) -> None:
    simulator = start(FaultConfig(oversize_over_hours=6, oversize_bytes=1_500_000))
    response = post(simulator, DAY_WINDOW)
    assert len(response.content) == 1_500_000  # decoded size; gzip makes the wire small
    assert DECODER.decode(response.content)["data"]["result"] == clean(world)[:100]
    short = post(simulator, {"startTime": "2026-11-02 06:00:00", "endTime": "2026-11-02 12:00:00"})
    assert len(short.content) < 1_500_000
    assert simulator.stats.faults == {"oversized": 1}
