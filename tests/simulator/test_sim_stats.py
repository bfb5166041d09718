"""handover.stat / dayend.stat: structure, timing, and reconciliation with the final bills."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from etl.simulator import QianhubWorld

DAY = dt.date(2026, 11, 1)
ZERO = Decimal(0)
SECTIONS = ["summary", "detail", "waive", "sale", "member", "goods", "waimai", "waimaiGoods"]


def lines(stat: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {line["key"]: line for line in stat["json"][section]}


def summary(stat: dict[str, Any]) -> dict[str, str]:
    return {line["key"]: line["value"] for line in stat["json"]["summary"]}


def expected_figures(bills: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "bill": str(len(bills)),
        "cashierSum": sum((b["paid"] for b in bills), ZERO),
        "saleSum": sum((b["amount"] for b in bills), ZERO),
        "goods": sum((b["goods_amount"] for b in bills), ZERO),
        "waiveSum": -sum((b["discount"] + b["promotion"] for b in bills), ZERO)
        + sum((b["rounding"] for b in bills), ZERO),
        "payments": sum(len(b["payments"]) for b in bills),
    }


def assert_reconciles(stat: dict[str, Any], bills: list[dict[str, Any]]) -> None:
    want = expected_figures(bills)
    detail, waive, sale, goods = (lines(stat, s) for s in ("detail", "waive", "sale", "goods"))
    assert summary(stat)["bill"] == want["bill"]
    assert detail["cashierSum"]["amount"] == want["cashierSum"]
    assert detail["cashierSum"]["count"] == want["payments"]
    kinds = [line for key, line in detail.items() if key != "cashierSum"]
    assert sum((line["amount"] for line in kinds), ZERO) == want["cashierSum"]
    assert sale["saleSum"]["amount"] == want["saleSum"]
    assert sale["goodsSubGroup"]["amount"] == goods["expectValue"]["amount"] == want["goods"]
    assert waive["waiveSum"]["amount"] == want["waiveSum"]
    assert sale["saleSum"]["amount"] - waive["waiveSum"]["amount"] == want["cashierSum"]
    assert waive["discount"]["amount"] == -sum((b["discount"] for b in bills), ZERO)
    assert waive["promotion"]["amount"] == -sum((b["promotion"] for b in bills), ZERO)
    assert waive["rounding"]["amount"] == sum((b["rounding"] for b in bills), ZERO)
    groups = [line for key, line in goods.items() if key != "expectValue"]
    assert sum(line["count"] for line in groups) == goods["expectValue"]["count"]
    for group in groups:
        assert sum((s["amount"] for s in group["subdetail"]), ZERO) == group["amount"]


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_dayend_reconciles_with_the_final_bill_versions(world: QianhubWorld, offset: int) -> None:
    day = DAY + dt.timedelta(days=offset)
    for shop_id in world.shop_ids():
        dayend = world.dayend(shop_id, day)
        assert list(dayend["json"]) == ["businessDay", *SECTIONS]
        assert dayend["json"]["businessDay"] == day.isoformat()
        assert_reconciles(dayend, world.final_bills(shop_id, day))


def test_dayend_differs_from_a_sum_over_every_version(world: QianhubWorld) -> None:
    # Re-checkouts exist, so counting every emitted version would overstate the day.
    shop_id = world.shop_ids()[0]
    versions = world.all_bill_versions(shop_id, DAY)
    finals = world.final_bills(shop_id, DAY)
    assert len(versions) > len(finals)
    assert summary(world.dayend(shop_id, DAY))["bill"] == str(len(finals))


def test_handovers_cover_the_bills_paid_in_their_shift(world: QianhubWorld) -> None:
    for shop_id in world.shop_ids():
        first, close = world.handovers(shop_id, DAY)
        assert list(first["json"]) == SECTIONS
        boundary = first["create_on"]
        finals = world.final_bills(shop_id, DAY)
        early = [b for b in finals if b["cashier_on"] < boundary]
        late = [b for b in finals if b["cashier_on"] >= boundary]
        assert early and late
        assert all(b["cashier_on"] < close["create_on"] for b in late)
        assert_reconciles(first, early)
        assert_reconciles(close, late)
        # Every version of a bill lies in the shift of its final version.
        for bill in world.all_bill_versions(shop_id, DAY):
            final = next(f for f in finals if f["bill_id"] == bill["bill_id"])
            assert (bill["cashier_on"] < boundary) == (final["cashier_on"] < boundary)


def test_report_times_sit_inside_the_business_day(world: QianhubWorld) -> None:
    begin, end = world.rule.window(DAY)
    shop_id = world.shop_ids()[1]
    first, close = world.handovers(shop_id, DAY)
    dayend = world.dayend(shop_id, DAY)
    times = [dt.datetime.fromisoformat(r["create_on"]) for r in (first, close, dayend)]
    assert begin < times[0] < times[1] < times[2] < end
    assert dt.time(16) <= times[0].time() <= dt.time(16, 5)
    assert times[1].date() == times[2].date() == DAY + dt.timedelta(days=1)
    assert dt.time(2, 30) <= times[1].time() <= dt.time(2, 45)
    assert dt.time(4) <= times[2].time() <= dt.time(4, 10)
    for record in (first, close, dayend):
        assert list(record)[1:] == ["staff_id", "staff_name", "boh_type", "json", "create_on"]


def test_summary_values_are_strings_as_in_the_document(world: QianhubWorld) -> None:
    stat = world.dayend(world.shop_ids()[0], DAY)
    values = summary(stat)
    assert list(values) == [
        "order", "person", "avgOfPerson", "avgOfOrder", "turnRate", "personRate", "bill",
    ]  # fmt: skip
    assert all(isinstance(v, str) for v in values.values())
    assert values["turnRate"].endswith("%") and values["personRate"].endswith("%")
    sale_sum = lines(stat, "sale")["saleSum"]["amount"]
    expected = (sale_sum / int(values["person"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(values["avgOfPerson"]) == expected
    assert stat["json"]["waimai"] == [] and stat["json"]["waimaiGoods"] == []
