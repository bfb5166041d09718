"""QianhubWorld: determinism, ids, nesting, money, re-checkouts, shops and record windows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
import pytest

from etl.business_day import BusinessDayRule
from etl.simulator import BOH_TYPES, CASHIER_FINISH, QianhubWorld

DAY = dt.date(2026, 11, 1)
DAYS = [DAY + dt.timedelta(days=i) for i in range(4)]
ENCODER = msgspec.json.Encoder(decimal_format="number")


def full_day(world: QianhubWorld, shop_id: int, day: dt.date) -> list[dict[str, Any]]:
    begin, end = world.rule.window(day)
    return world.records(shop_id, BOH_TYPES, begin, end)


def nodes(details: list[dict[str, Any]], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for node in details:
        found.append((depth, node))
        found.extend(nodes(node["children"], depth + 1))
    return found


def all_bills(world: QianhubWorld) -> list[dict[str, Any]]:
    return [
        bill
        for shop_id in world.shop_ids()
        for day in DAYS
        for bill in world.all_bill_versions(shop_id, day)
    ]


def paid_at(bill: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(bill["cashier_on"])


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def own_amount(node: dict[str, Any]) -> Decimal:
    quantity = node["quantity"] - node["void_quantity"]
    return cents(Decimal(node["current_price"]) * quantity * Decimal(node["weight"]))


def subtree_amount(node: dict[str, Any]) -> Decimal:
    return own_amount(node) + sum((subtree_amount(c) for c in node["children"]), Decimal(0))


# -- determinism ----------------------------------------------------------------------


def test_same_seed_gives_identical_records_in_any_query_order() -> None:
    forward, backward = QianhubWorld(seed=7), QianhubWorld(seed=7)
    shop_id = forward.shop_ids()[0]
    assert forward.shop_ids() == backward.shop_ids()
    first = [ENCODER.encode(full_day(forward, shop_id, day)) for day in DAYS]
    second = [ENCODER.encode(full_day(backward, shop_id, day)) for day in reversed(DAYS)]
    assert first == list(reversed(second))
    # A window cut differently returns the same records.
    begin, end = forward.rule.window(DAYS[1])
    halves = forward.records(shop_id, BOH_TYPES, begin, begin + dt.timedelta(hours=13))
    halves += forward.records(shop_id, BOH_TYPES, begin + dt.timedelta(hours=13), end)
    assert ENCODER.encode(halves) == first[1]


def test_another_seed_gives_another_world() -> None:
    one, other = QianhubWorld(seed=1), QianhubWorld(seed=2)
    assert one.shop_ids() != other.shop_ids()
    assert len(one.shop_ids()) == len(other.shop_ids()) == 4


def test_days_outside_the_snowflake_range_are_empty(world: QianhubWorld) -> None:
    shop_id = world.shop_ids()[0]
    assert full_day(world, shop_id, dt.date(2017, 12, 31)) == []
    assert world.final_bills(shop_id, dt.date(2070, 1, 1)) == []
    with pytest.raises(KeyError):
        world.dayend(shop_id, dt.date(2017, 12, 31))


# -- ids ----------------------------------------------------------------------------------


def test_ids_are_19_digit_snowflakes_unique_across_shops_and_days(world: QianhubWorld) -> None:
    bill_ids: set[int] = set()
    other_ids: list[int] = []
    sns: dict[str, set[int]] = defaultdict(set)
    for shop_id in world.shop_ids():
        for day in DAYS:
            for bill in world.final_bills(shop_id, day):
                assert bill["bill_id"] not in bill_ids
                bill_ids.add(bill["bill_id"])
                sns[bill["sn"]].add(shop_id)
                for order in bill["orders"]:
                    other_ids.append(order["order_id"])
                    other_ids.extend(n["detail_id"] for _, n in nodes(order["details"]))
    every = [*bill_ids, *other_ids]
    assert len(set(every)) == len(every)
    assert all(2**53 < i < 2**63 and len(str(i)) == 19 for i in every)
    # Bill numbers restart per shop: the same sn names bills of several shops.
    assert f"{DAY:%Y%m%d}0001" in sns
    assert len(sns[f"{DAY:%Y%m%d}0001"]) == len(world.shop_ids())


# -- nesting ------------------------------------------------------------------------------


def test_detail_trees_nest_three_levels_below_the_dish(world: QianhubWorld) -> None:
    bills = [b for s in world.shop_ids() for b in world.final_bills(s, DAY)]
    depths = [max(d for o in b["orders"] for d, _ in nodes(o["details"])) for b in bills]
    deep = sum(1 for d in depths if d >= 3)
    assert deep / len(bills) >= 0.15
    tagged = {
        tag for b in bills for o in b["orders"] for _, n in nodes(o["details"]) for tag in n["tags"]
    }
    assert {"cooking", "ingredient", "weight", "special", "gift", "return"} <= tagged


def test_only_top_level_details_carry_real_amount_and_remark(world: QianhubWorld) -> None:
    for bill in world.final_bills(world.shop_ids()[0], DAY):
        for order in bill["orders"]:
            for depth, node in nodes(order["details"]):
                assert ("real_amount" in node) is (depth == 0)
                assert ("remark" in node) is (depth == 0)
                assert set(node["goods"]) >= {"goods_id", "goods_name", "product_type_id"}
                if "cooking" in node["tags"]:
                    assert node["current_price"] == 0 and node["goods"]["product_type_id"] == 7


def test_weighed_goods_have_gram_precision_weights(world: QianhubWorld) -> None:
    weights = [
        n["weight"]
        for b in all_bills(world)
        for o in b["orders"]
        for _, n in nodes(o["details"])
        if "weight" in n["tags"]
    ]
    assert weights
    assert all(isinstance(w, Decimal) and w.as_tuple().exponent >= -3 for w in weights)
    assert any(w.as_tuple().exponent == -3 for w in weights)


# -- money --------------------------------------------------------------------------------


def test_every_bill_version_is_consistent(world: QianhubWorld) -> None:
    zero = Decimal(0)
    bills = all_bills(world)
    assert len(bills) > 500
    for bill in bills:
        for order in bill["orders"]:
            for detail in order["details"]:
                assert detail["real_amount"] == subtree_amount(detail)
            goods = sum((d["real_amount"] for d in order["details"]), zero)
            assert order["goods_amount"] == goods
            assert order["order_amount"] == goods + order["surcharge"] + order["mincharge"]
        for key in ("goods_amount", "surcharge", "mincharge", "discount", "order_amount"):
            assert bill[key] == sum((o[key] for o in bill["orders"]), zero), key
        assert bill["amount"] == bill["goods_amount"] + bill["surcharge"] + bill["mincharge"]
        assert bill["discount"] == sum((d["value"] for d in bill["discounts"]), zero) <= 0
        assert bill["promotion"] == sum((p["value"] for p in bill["promotions"]), zero) <= 0
        assert 0 <= bill["rounding"] < 1
        expected = bill["amount"] + bill["discount"] + bill["promotion"] - bill["rounding"]
        assert bill["real_amount"] == expected == bill["paid"]
        assert 1 <= len(bill["payments"]) <= 2
        assert sum((p["value"] - p["change"] for p in bill["payments"]), zero) == bill["paid"]
        for value in (bill["amount"], bill["paid"], *(p["value"] for p in bill["payments"])):
            assert isinstance(value, Decimal) and value.as_tuple().exponent >= -2


def test_money_features_all_occur(world: QianhubWorld) -> None:
    bills = all_bills(world)
    assert any(b["rounding"] > 0 for b in bills)
    assert any(b["discount"] < 0 for b in bills)
    assert any(b["promotion"] < 0 for b in bills)
    assert any(b["surcharge"] > 0 and b["mincharge"] >= 0 for b in bills)
    assert any(len(b["payments"]) == 2 for b in bills)
    assert any(p["change"] > 0 for b in bills for p in b["payments"])
    assert any(len(b["orders"]) == 2 for b in bills)
    assert {p["payment_type_sn"] for b in bills for p in b["payments"]} >= {"2401", "2405", "2406"}


def test_bills_open_at_service_hours_and_are_paid_within_the_business_day(
    world: QianhubWorld,
) -> None:
    rule = world.rule
    for bill in world.all_bill_versions(world.shop_ids()[1], DAY):
        opened = dt.datetime.fromisoformat(bill["create_on"])
        paid = dt.datetime.fromisoformat(bill["cashier_on"])
        assert dt.time(10, 30) <= opened.time() <= dt.time(23, 30)
        assert opened.date() == DAY
        assert opened + dt.timedelta(minutes=20) <= paid
        assert rule.business_date(paid) == DAY


# -- re-checkouts -------------------------------------------------------------------------


def test_rechecked_out_bills_come_back_later_with_undo_index_plus_one(world: QianhubWorld) -> None:
    versions_seen = 0
    third_versions = 0
    for shop_id in world.shop_ids():
        for day in DAYS:
            by_id: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for bill in world.all_bill_versions(shop_id, day):
                by_id[bill["bill_id"]].append(bill)
            finals = {b["bill_id"]: b for b in world.final_bills(shop_id, day)}
            assert set(finals) == set(by_id)
            emitted = [
                r["json"] for r in full_day(world, shop_id, day) if r["boh_type"] == CASHIER_FINISH
            ]
            assert len(emitted) == sum(len(v) for v in by_id.values())
            for bill_id, versions in by_id.items():
                assert [v["undo_index"] for v in versions] == list(range(len(versions)))
                assert finals[bill_id] is versions[-1]
                for before, after in itertools.pairwise(versions):
                    gap = paid_at(after) - paid_at(before)
                    assert dt.timedelta(minutes=5) <= gap <= dt.timedelta(minutes=60)
                    assert after["create_on"] == before["create_on"]
                    assert after["orders"] != before["orders"]
                    versions_seen += 1
                third_versions += len(versions) >= 3
    assert versions_seen >= 20
    assert third_versions >= 1


def test_a_version_emitted_later_keeps_the_ids_of_unchanged_details(world: QianhubWorld) -> None:
    shop_id = world.shop_ids()[0]
    versions = world.all_bill_versions(shop_id, DAY)
    first_seen: dict[int, dict[str, Any]] = {}
    for bill in versions:
        if bill["bill_id"] in first_seen:
            before = {
                n["detail_id"]
                for o in first_seen[bill["bill_id"]]["orders"]
                for _, n in nodes(o["details"])
            }
            after = {n["detail_id"] for o in bill["orders"] for _, n in nodes(o["details"])}
            assert before & after and before != after
            return
        first_seen[bill["bill_id"]] = bill
    pytest.fail("no re-checkout on the first shop's first day")


# -- shops and envelopes ------------------------------------------------------------------


def test_shops_rows_follow_list_shop(world: QianhubWorld) -> None:
    rows = world.shops(as_of=dt.datetime(2026, 11, 3, 5, 59))
    assert [r["shop_id"] for r in rows] == world.shop_ids()
    assert all(100_000 <= r["shop_id"] <= 999_999 for r in rows)
    assert {r["latest_business_day"] for r in rows} == {"2026-11-01"}
    business_on = [r["business_on"] for r in rows]
    assert business_on.count(None) == 1
    assert all(b is None or "-0" not in b for b in business_on)  # "2018-1-1", not zero padded
    for row in rows:
        assert list(row) == [
            "brand_id", "brand_name", "shop_id", "sn", "shop_name", "shop_address",
            "shop_contact", "business_on", "latest_business_day", "create_on",
        ]  # fmt: skip


def test_one_shop_spells_its_key_shop_underscore_id(world: QianhubWorld) -> None:
    variant = world.shop_ids()[-1]
    for shop_id in world.shop_ids():
        records = full_day(world, shop_id, DAY)
        assert {r["boh_type"] for r in records} == {
            "cashier.finish",
            "handover.stat",
            "dayend.stat",
            "waimai.order",
        }
        key = f"shop_{shop_id}" if shop_id == variant else "shop_id"
        assert all(r[key] == shop_id and next(iter(r)) == key for r in records)
        assert all(
            r["json"]["shop_id"] == shop_id for r in records if r["boh_type"] == CASHIER_FINISH
        )
    plain = QianhubWorld(variant_shop_index=None)
    assert all("shop_id" in r for r in full_day(plain, plain.shop_ids()[-1], DAY))


# -- windows ------------------------------------------------------------------------------


def record_time(record: dict[str, Any]) -> str:
    """When a record happened, as far as the record says: a delivery order's later states
    carry only the time it was placed (the document's format has no update time)."""
    if record["boh_type"] == CASHIER_FINISH:
        return str(record["json"]["cashier_on"])
    if record["boh_type"] == "waimai.order":
        return str(record["json"]["createon"])
    return str(record["create_on"])


def test_records_are_ascending_and_windows_are_half_open(world: QianhubWorld) -> None:
    shop_id = world.shop_ids()[2]
    day = [r for r in full_day(world, shop_id, DAY) if r["boh_type"] != "waimai.order"]
    times = [record_time(r) for r in day]
    assert times == sorted(times)
    middle = dt.datetime.fromisoformat(times[len(times) // 2])
    second = dt.timedelta(seconds=1)
    at = world.records(shop_id, BOH_TYPES - {"waimai.order"}, middle, middle + second)
    assert at and all(record_time(r) == f"{middle:%Y-%m-%d %H:%M:%S}" for r in at)
    before = world.records(
        shop_id, BOH_TYPES - {"waimai.order"}, middle - dt.timedelta(hours=1), middle
    )
    assert all(record_time(r) < f"{middle:%Y-%m-%d %H:%M:%S}" for r in before)
    only_stats = world.records(shop_id, ["dayend.stat", "handover.stat"], *world.rule.window(DAY))
    assert [r["boh_type"] for r in only_stats] == ["handover.stat", "handover.stat", "dayend.stat"]


def test_a_window_across_midnight_spans_two_business_days(world: QianhubWorld) -> None:
    shop_id = world.shop_ids()[0]
    begin = dt.datetime.combine(DAY, dt.time(22))
    end = begin + dt.timedelta(hours=32)  # 22:00 day 1 .. 06:00 day 3
    records = world.records(shop_id, ["dayend.stat"], begin, end)
    assert [r["json"]["businessDay"] for r in records] == ["2026-11-01", "2026-11-02"]


def test_business_day_rule_moves_the_day(world: QianhubWorld) -> None:
    late = QianhubWorld(rule=BusinessDayRule(dt.time(4, 0)))
    shop_id = late.shop_ids()[0]
    for record in full_day(late, shop_id, DAY):
        moment = dt.datetime.fromisoformat(record_time(record))
        assert late.rule.business_date(moment) == DAY
    with pytest.raises(ValueError, match="business day start"):
        QianhubWorld(rule=BusinessDayRule(dt.time(2, 0)))
