"""The fast bill path gives exactly the tables, rejects and record count of the simple reference
flattener: on a generated world (every nesting depth the simulator makes, re-checkouts, the
``shop_<id>`` key variant, delivery orders, handovers and day-ends, float noise in money), on
hand-made edge cases mixed into one body, and on any hostile value anywhere in a bill.

Equal means ``pa.Table.equals`` (schema, row order and every value) and equal reject lists,
so a faster path that changes one value, one reason or one row's place fails here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import msgspec
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.batch import FlatBatch
from etl.business_day import BusinessDayRule
from etl.flatten import qianhub_fast_models as fast_models
from etl.flatten.qianhub import _split, flatten_batch_bodies, flatten_batch_bodies_reference
from etl.flatten.qianhub_fast import flatten_fast
from etl.qianhub import models
from etl.qianhub.client import BOH_TYPES
from etl.simulator.qianhub_world import QianhubWorld
from tests.property.conftest import example, hostile_values, leaf_paths, replaced

RULE = BusinessDayRule()
ENCODE = msgspec.json.Encoder(decimal_format="number")  # as the simulator's gateway writes
BILL_RECORD = example("qianhub", "cashier_finish_example.json")[0]


def assert_same(bodies: list[bytes]) -> FlatBatch:
    fast = flatten_batch_bodies(bodies, RULE)
    reference = flatten_batch_bodies_reference(bodies, RULE)
    assert fast.records == reference.records
    assert fast.rejects == reference.rejects
    assert fast.tables.keys() == reference.tables.keys()
    for name, table in reference.tables.items():
        assert fast.tables[name].schema == table.schema, name
        assert fast.tables[name].equals(table), f"{name} differs from the reference"
    return fast


def _pages(records: list[dict[str, Any]], size: int) -> list[bytes]:
    return [ENCODE.encode(records[i : i + size]) for i in range(0, len(records), size)]


WORLD = QianhubWorld(seed=7, shop_count=4, bills_per_day=(150, 220), recheckout_rate=0.3)
UNITS = [
    (shop, day) for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 2)) for shop in WORLD.shop_ids()
]


@pytest.fixture(scope="module")
def world_bodies() -> list[list[bytes]]:
    """Pages of 100 records per shop-day, as the gateway would send them."""
    units = []
    for shop, day in UNITS:
        start, end = RULE.window(day)
        units.append(_pages(WORLD.records(shop, sorted(BOH_TYPES), start, end), 100))
    return units


def test_generated_world_equals_reference(world_bodies: list[list[bytes]]) -> None:
    depths: set[int] = set()
    versions = recheckouts = variant = max_id = 0
    for bodies in world_bodies:
        batch = assert_same(bodies)
        details = batch.tables["bill_details"]
        depths |= set(details.column("depth").to_pylist())
        bills = batch.tables["bills"]
        versions += bills.num_rows
        recheckouts += pc.sum(pc.greater(bills.column("undo_index"), 0)).as_py() or 0
        variant += any(b'"shop_' in body for body in bodies)
        max_id = max(max_id, pc.max(bills.column("bill_id")).as_py() or 0)
    # The world really has what the comparison is meant to cover.
    assert max(depths) >= 3, depths
    assert recheckouts >= 50, recheckouts
    assert variant >= 2  # the shop writing "shop_<id>": n
    assert versions > 1000
    assert max_id > 2**53  # 19-digit ids


def test_the_fast_path_takes_every_bill_of_the_world(world_bodies: list[list[bytes]]) -> None:
    """Not a vacuous equality: every bill of the world goes the fast way."""
    variant = 0
    for (shop, _), bodies in zip(UNITS, world_bodies, strict=True):
        split, _ = _split(bodies)
        fast = flatten_fast(list(split.items()), RULE)
        bills = sum(1 for raw in split.values() if b'"cashier.finish"' in bytes(raw))
        assert fast.tables["bills"].num_rows == bills > 100
        variant += WORLD.shop_key(shop) != "shop_id"
    assert variant == 2  # the "shop_<id>": n envelope is read by the reference's own rule


def _bill(bill_id: int, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(BILL_RECORD)
    record.pop("shop_10", None)
    record["shop_id"] = 10
    record["json"]["bill_id"] = bill_id
    record["json"].update(changes)
    return record


def _detail(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    detail = record["json"]["orders"][0]["details"][0]
    detail.update(changes)
    return record


def _deep(record: dict[str, Any], depth: int) -> dict[str, Any]:
    node = record["json"]["orders"][0]["details"][0]
    for level in range(depth):
        child = {"detail_id": 9_000_000_000_000_000_000 + level, "quantity": 1}
        node["children"] = [child]
        node = child
    return record


def _text_cases() -> list[bytes]:
    """Records that are not valid JSON objects of a bill, as raw text."""
    good = json.dumps(_bill(70)).encode()
    return [
        good.replace("王".encode(), b"\xff\xfe"),  # invalid UTF-8 inside a string
        good.replace(b'"amount":', b'"amount":1e400,"x":', 1),
        b'{"boh_type": "cashier.finish", "shop_id": 10, "json": null}',
        b'{"boh_type": "other.kind", "shop_id": 10, "json": {}}',
        b"[1, 2]",
        b"17",
    ]


EDGE_BILLS: list[dict[str, Any]] = [
    _bill(1),
    _bill(2, amount=69.80000000000001, paid=0.30000000000000004),  # float noise: accepted
    _bill(3, amount=1.005),  # a real third decimal: rejected by name
    _bill(4, amount=1_000_000_000.5),  # beyond the fast path's trusted magnitude
    _bill(5, amount=0.0000009),  # noise just under the bound: the reference decides
    _bill(6, amount="12.30"),  # money as a string
    _bill(7, amount=True),
    _bill(8, cashier_on="2026-11-2 9:05:03"),  # unpadded: the reference accepts it
    _bill(9, cashier_on="2026-02-30 12:00:00"),  # no such day
    _bill(10, cashier_on="2026-11-02T12:00:00"),
    _bill(11, cashier_on="2026-11-02 05:59:59"),  # the business day before
    _bill(12, cashier_on="2026-11-02 06:00:00"),
    _bill(13, undo_index=None, create_on=None),
    _bill(14, shop_id=11),  # disagrees with the envelope
    _bill(2**63, amount=1),  # id beyond int64
    _bill(9_223_372_036_854_775_807, amount=-0.0),
    _bill(15, sn=20261102001),  # a code sent as a number keeps its digits
    _bill(16, rounding=-0.0000001),
    _bill(17, payments=None, promotions=[], discounts=None, orders=None),
    _detail(_bill(18), goods=None),
    _detail(_bill(19), goods={}),
    _detail(_bill(20), goods={"goods_id": "x"}),
    _detail(_bill(21), goods=[1]),
    _detail(_bill(22), tags=["少辣", 3]),
    _detail(_bill(23), quantity=0.1235),
    _detail(_bill(24), weight=2.0000000000000004),
    _detail(_bill(25), detail_id=2**64),
    _deep(_bill(26), 5),
    _deep(_bill(27), 64),
    _deep(_bill(28), 70),
]


def test_edge_cases_mixed_in_one_body_equal_reference() -> None:
    dup_detail = _bill(30)
    details = dup_detail["json"]["orders"][0]["details"]
    details.append(copy.deepcopy(details[0]))
    dup_order = _bill(31)
    dup_order["json"]["orders"].append(copy.deepcopy(dup_order["json"]["orders"][0]))
    variant = copy.deepcopy(BILL_RECORD)  # "shop_10": 10
    variants = [
        {**variant, "shop_10": 11},  # the key and its value disagree
        {**variant, "shop_11": 11},  # two shop keys
        {**variant, "shop_id": None},  # shop_id present but null: json.shop_id decides
        {k: v for k, v in variant.items() if k != "shop_10"},  # no key: json.shop_id decides
        {**variant, "shop_10": "10"},
    ]
    body = json.dumps([*EDGE_BILLS, dup_detail, dup_order, variant, *variants]).encode()
    texts = b"[" + b",".join([json.dumps(_bill(71)).encode(), *_text_cases()]) + b"]"
    batch = assert_same([body, b"not json", texts])
    reasons = " | ".join(r.reason for r in batch.rejects)
    assert "json.amount 1.005 has more than 2 decimal places" in reasons
    assert "appears twice in one bill" in reasons
    loaded = dict(
        zip(
            batch.tables["bills"].column("bill_id").to_pylist(),
            batch.tables["bills"].column("amount").to_pylist(),
            strict=True,
        )
    )
    assert str(loaded[2]) == "69.80"
    assert 8 in loaded and 11 in loaded and 2**63 - 1 in loaded


def test_two_versions_of_a_bill_in_one_batch_keep_both_in_order() -> None:
    first, second = _bill(40, undo_index=0), _bill(40, undo_index=1, amount=12.5)
    fallback = _bill(41, cashier_on="2026-11-2 9:05:03")  # reference path between them
    batch = assert_same([json.dumps([first, fallback, second]).encode()])
    assert batch.tables["bills"].column("_rec").to_pylist() == [0, 1, 2]


@given(
    path=st.sampled_from(sorted(leaf_paths(BILL_RECORD), key=repr)),
    value=hostile_values,
    plain_key=st.booleans(),
)
def test_any_hostile_value_anywhere_equals_reference(
    path: tuple[Any, ...], value: Any, plain_key: bool
) -> None:
    record = replaced(BILL_RECORD, path, value)
    if plain_key and "shop_10" in record:
        record["shop_id"] = record.pop("shop_10")  # the fast path's envelope
    try:
        text = json.dumps([record, _bill(99)], ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps([record, _bill(99)]).encode("ascii")
    assert_same([text])


@pytest.mark.parametrize(
    ("fast", "model"),
    [
        (fast_models.FastBill, models.Bill),
        (fast_models.FastOrder, models.Order),
        (fast_models.FastDetail, models.Detail),
        (fast_models.FastPayment, models.Payment),
        (fast_models.FastPromotion, models.Promotion),
        (fast_models.FastDiscount, models.Discount),
    ],
)
def test_fast_structs_mirror_the_models(fast: type, model: type) -> None:
    """The fast path's Structs are the models with money as ``float | None`` (and a detail's
    goods kept raw): the same fields, the same id and text types, so neither drifts."""
    fast_fields = {f.name: f.type for f in msgspec.structs.fields(fast)}
    model_fields = {f.name: f.type for f in msgspec.structs.fields(model)}
    assert fast_fields.keys() == model_fields.keys()
    for name, kind in model_fields.items():
        if kind is msgspec.Raw:
            assert fast_fields[name] == (float | None), name
        elif name == "goods":
            assert fast_fields[name] is msgspec.Raw
        elif name not in ("children", "details", "orders", "payments", "promotions", "discounts"):
            assert fast_fields[name] == kind, name
