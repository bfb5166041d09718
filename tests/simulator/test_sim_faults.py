"""Fault injection: the spec parser, and each fault as a plain httpx client sees it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from etl.simulator import BOH_TYPES, FaultConfig, QianhubWorld

DAY = dt.date(2026, 11, 1)
DECODER = msgspec.json.Decoder(float_hook=Decimal)
BATCH = "qianhub.agent.batch-query"


def body(world: QianhubWorld, hours: int = 24, start_hour: int = 6) -> dict[str, Any]:
    begin = dt.datetime.combine(DAY, dt.time(start_hour))
    end = begin + dt.timedelta(hours=hours)
    return {
        "shop_id": world.shop_ids()[0],
        "boh_types": sorted(BOH_TYPES),
        "begin": f"{begin:%Y-%m-%d %H:%M:%S}",
        "end": f"{end:%Y-%m-%d %H:%M:%S}",
    }


def expected(world: QianhubWorld, hours: int = 24, start_hour: int = 6) -> list[dict[str, Any]]:
    begin = dt.datetime.combine(DAY, dt.time(start_hour))
    return world.records(world.shop_ids()[0], BOH_TYPES, begin, begin + dt.timedelta(hours=hours))


# -- parsing ------------------------------------------------------------------------------


def test_parse_reads_every_setting() -> None:
    config = FaultConfig.parse(
        "5xx=0.05, drop=0.02,timeout=0.01,slow=0.05,malformed=0.01,"
        "oversize_over_hours=6,oversize_bytes=2000000,timeout_delay=1.5,slow_delay=0.1,seed=7"
    )
    assert config == FaultConfig(
        error_5xx=0.05,
        drop=0.02,
        timeout=0.01,
        slow=0.05,
        malformed=0.01,
        oversize_over_hours=6.0,
        oversize_bytes=2_000_000,
        timeout_delay=1.5,
        slow_delay=0.1,
        seed=7,
    )
    assert FaultConfig.parse(config.describe()) == config
    assert FaultConfig.parse("none") == FaultConfig.parse("") == FaultConfig()
    assert FaultConfig().describe() == "none"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("5xx=0.1,dorp=0.1", "unknown fault setting 'dorp=0.1'"),
        ("timeout", "unknown fault setting 'timeout'"),
        ("slow=fast", "slow needs a number"),
        ("drop=1.5", "within 0..1"),
        ("5xx=0.6,drop=0.6", "must not exceed 1"),
        ("oversize_over_hours=0", "oversize_over_hours must be > 0"),
    ],
)
def test_parse_rejects_bad_specs_clearly(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultConfig.parse(spec)


# -- transient faults ---------------------------------------------------------------------


def test_5xx_at_rate_one(start_simulator: Any, world: QianhubWorld, post: Any) -> None:
    simulator = start_simulator(FaultConfig(error_5xx=1.0))
    statuses = [post(simulator.url, BATCH, body(world)).status_code for _ in range(8)]
    assert all(status in (500, 502, 503, 504) for status in statuses)
    assert len(set(statuses)) > 1  # JSON 500s and nginx pages both occur
    assert simulator.stats.faults == {"5xx": 8}


def test_drop_at_rate_one(start_simulator: Any, world: QianhubWorld, post: Any) -> None:
    simulator = start_simulator(FaultConfig(drop=1.0))
    messages = []
    for _ in range(6):
        with pytest.raises(httpx.TransportError) as caught:
            post(simulator.url, BATCH, body(world))
        messages.append(str(caught.value))
    assert simulator.stats.faults == {"drop": 6}
    # Both flavours occur: no response at all, and a body cut short of its Content-Length.
    assert any("without sending a response" in m for m in messages)
    assert any("complete message body" in m for m in messages)


def test_timeout_at_rate_one(start_simulator: Any, world: QianhubWorld, post: Any) -> None:
    simulator = start_simulator(FaultConfig(timeout=1.0, timeout_delay=30.0))
    with pytest.raises(httpx.ReadTimeout):
        post(simulator.url, BATCH, body(world), timeout=0.3)
    assert simulator.stats.faults == {"timeout": 1}
    # The stalled handler wakes up when the server stops: teardown does not wait 30 s.


def test_slow_answers_late_but_fully(start_simulator: Any, world: QianhubWorld, post: Any) -> None:
    simulator = start_simulator(FaultConfig(slow=1.0, slow_delay=0.25))
    response = post(simulator.url, BATCH, body(world, hours=3, start_hour=11))
    assert response.status_code == 200
    assert response.elapsed >= dt.timedelta(seconds=0.25)
    assert DECODER.decode(response.content) == expected(world, hours=3, start_hour=11)


def test_transient_faults_hit_some_requests_at_partial_rates(
    start_simulator: Any, world: QianhubWorld, post: Any
) -> None:
    simulator = start_simulator(FaultConfig(error_5xx=0.5, seed=3))
    statuses = [post(simulator.url, "qianhub.agent.list-shop").status_code for _ in range(30)]
    assert 200 in statuses and any(s >= 500 for s in statuses)
    assert simulator.stats.faults["5xx"] == sum(1 for s in statuses if s >= 500)


# -- data faults --------------------------------------------------------------------------


def test_oversized_pads_long_windows_only(
    start_simulator: Any, world: QianhubWorld, post: Any
) -> None:
    simulator = start_simulator(FaultConfig(oversize_over_hours=6, oversize_bytes=3_000_000))
    response = post(simulator.url, BATCH, body(world, hours=24))
    assert len(response.content) == 3_000_000
    assert response.content.endswith(b" ")
    assert DECODER.decode(response.content) == expected(world, hours=24)  # still valid JSON
    short = post(simulator.url, BATCH, body(world, hours=6))
    assert len(short.content) < 3_000_000
    assert simulator.stats.faults == {"oversized": 1}


def is_corrupt(record: dict[str, Any]) -> bool:
    bill = record["json"]
    if record["boh_type"] != "cashier.finish":
        return False
    if bill is None:
        return True
    if isinstance(bill["amount"], str) or isinstance(bill["bill_id"], str):
        return True
    if bill["cashier_on"][5:7] == "13":
        return True
    return any(isinstance(d, str) for o in bill["orders"] for d in o["details"])


def test_malformed_adds_corrupt_copies_and_keeps_every_valid_record(
    start_simulator: Any, world: QianhubWorld, post: Any
) -> None:
    simulator = start_simulator(FaultConfig(malformed=1.0, seed=5))
    first = post(simulator.url, BATCH, body(world))
    again = post(simulator.url, BATCH, body(world))
    assert first.content == again.content  # the same request yields the same corruption
    records = DECODER.decode(first.content)
    valid = [r for r in records if not is_corrupt(r)]
    corrupt = [r for r in records if is_corrupt(r)]
    clean = expected(world)
    assert valid == clean
    bills = [r for r in clean if r["boh_type"] == "cashier.finish"]
    assert len(corrupt) == len(bills)
    # Each copy sits right after its intact original.
    for index, record in enumerate(records):
        if is_corrupt(record):
            assert records[index - 1]["boh_type"] == "cashier.finish"
            assert not is_corrupt(records[index - 1])
    kinds = {
        "null" if r["json"] is None else "id" if isinstance(r["json"]["bill_id"], str) else "other"
        for r in corrupt
    }
    assert {"null", "id", "other"} <= kinds
    assert simulator.stats.faults == {"malformed": 2 * len(bills)}


def test_malformed_choice_depends_on_the_bill_not_the_window(
    start_simulator: Any, world: QianhubWorld, post: Any
) -> None:
    simulator = start_simulator(FaultConfig(malformed=0.2, seed=11))
    whole = DECODER.decode(post(simulator.url, BATCH, body(world, hours=24)).content)
    morning = DECODER.decode(post(simulator.url, BATCH, body(world, hours=10)).content)
    evening = DECODER.decode(
        post(simulator.url, BATCH, body(world, hours=14, start_hour=16)).content
    )
    assert morning + evening == whole
    corrupt = [r for r in whole if is_corrupt(r)]
    bills = [r for r in whole if r["boh_type"] == "cashier.finish" and not is_corrupt(r)]
    assert 0 < len(corrupt) < len(bills)
