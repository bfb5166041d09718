"""cashier.finish bills flatten into bills, orders, the detail tree and the line tables."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyarrow as pa

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.flatten import BATCH_SCHEMAS, flatten_batch_bodies

D = Decimal
SHOP = 10
DAY = dt.date(2018, 7, 28)
BILL = 5539576104912


def local(text: str) -> dt.datetime:
    """A naive shop-local time: vendor times carry no zone and are stored without one."""
    return dt.datetime.fromisoformat(text)


def rows(table: pa.Table, *columns: str) -> list[tuple[Any, ...]]:
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def test_doc_example_bill_flattens_to_exact_rows(bill_example_body: bytes, rule: BusinessDayRule):
    batch = flatten_batch_bodies([bill_example_body], rule)

    assert batch.records == 1
    assert batch.rejects == []
    assert batch.tables["bills"].to_pylist() == [
        {
            "bill_id": BILL,
            "shop_id": SHOP,  # from the envelope's "shop_10": 10
            "business_date": DAY,
            "sn": "201807280001",
            "brand_id": 1,
            "brand_name": "哇哇叫",
            "shop_name": "【树莓派】哇哇叫欢乐海岸店",
            "staff_id": 1436,
            "staff_name": "王店",
            "amount": D("109.00"),
            "real_amount": D("109.00"),
            "goods_amount": D("109.00"),
            "order_amount": D("109.00"),
            "paid": D("109.00"),
            "surcharge": D("0.00"),
            "mincharge": D("0.00"),
            "discount": D("0.00"),
            "promotion": D("0.00"),
            "rounding": D("0.00"),
            "cashier_staff_id": 1436,
            "cashier_staff_name": "王店",
            "undo_index": 0,
            "create_on": local("2018-07-28 15:29:38"),
            "cashier_on": local("2018-07-28 15:30:43"),
            REC: 0,
        }
    ]
    assert batch.tables["bill_orders"].to_pylist() == [
        {
            "bill_id": BILL,
            "order_id": 5539576103912,
            "shop_id": SHOP,
            "business_date": DAY,
            "line_no": 0,
            "order_name": "A09",
            "order_sn": "201807280001",
            "person_count": 6,
            "table_id": 392,
            "order_amount": D("109.00"),
            "goods_amount": D("109.00"),
            "surcharge": D("0.00"),
            "mincharge": D("0.00"),
            "discount": D("0.00"),
            "promotion": D("0.00"),
            "voucher": D("0.00"),
            REC: 0,
        }
    ]


def test_doc_example_detail_tree(bill_example_body: bytes, rule: BusinessDayRule):
    details = flatten_batch_bodies([bill_example_body], rule).tables["bill_details"]
    top, child, top2, child2 = 5539576102912, 5539576102913, 5539576102914, 5539576102915

    tree_columns = ("detail_id", "parent_detail_id", "root_detail_id", "depth", "path", "line_no")
    assert rows(details, *tree_columns) == [
        (top, None, top, 0, f"{top}", 0),
        (child, top, top, 1, f"{top}/{child}", 0),
        (top2, None, top2, 0, f"{top2}", 1),
        (child2, top2, top2, 1, f"{top2}/{child2}", 0),
    ]
    assert rows(details, "goods_name", "tags", "real_amount", "origin_price", "remark") == [
        ("蝴蝶虾", [], D("52.00"), D("52.00"), "不要辣"),
        ("鲜咸", ["cooking"], None, D("55.00"), None),  # children lack real_amount
        (" 回鱼", [], None, D("2.00"), None),  # the vendor's leading space is kept
        ("全银", ["cooking"], None, D("0.00"), None),
    ]
    first = details.to_pylist()[0]
    assert first[REC] == 0
    assert {k: first[k] for k in ("bill_id", "order_id", "shop_id", "business_date")} == {
        "bill_id": BILL,
        "order_id": 5539576103912,
        "shop_id": SHOP,
        "business_date": DAY,
    }
    assert rows(details, "product_type_id", "goods_group_sn", "unit_type_name")[2] == (
        3,
        None,
        "份",
    )
    assert rows(details, "quantity", "void_quantity", "weight")[0] == (
        D("1.000"),
        D("0.000"),
        D("1.000"),
    )


def test_doc_example_payment_promotion_discount(bill_example_body: bytes, rule: BusinessDayRule):
    tables = flatten_batch_bodies([bill_example_body], rule).tables
    head = {"bill_id": BILL, "line_no": 0, "shop_id": SHOP, "business_date": DAY}

    assert tables["bill_payments"].to_pylist() == [
        head
        | {
            "payment_type_id": 2,
            "payment_type_name": "银行卡",
            "payment_type_sn": "2402",
            "value": D("109.00"),
            "change": D("0.00"),
            "unreal": D("0.00"),
            REC: 0,
        }
    ]
    assert tables["bill_promotions"].to_pylist() == [
        head
        | {
            "promotion_id": 892,
            "promotion_name": "会员折扣",
            "promotion_type_id": 11,
            "promotion_type_name": "会员折扣",
            "value": D("-10.00"),
            REC: 0,
        }
    ]
    assert tables["bill_discounts"].to_pylist() == [
        head | {"discount_id": 34, "discount_name": "85折", "value": D("-22.00"), REC: 0}
    ]


def test_all_batch_tables_always_present_with_their_schema(rule: BusinessDayRule):
    batch = flatten_batch_bodies([], rule)

    assert batch.records == 0
    assert list(batch.tables) == list(BATCH_SCHEMAS)
    assert len(batch.tables) == 14
    for name, table in batch.tables.items():
        assert table.num_rows == 0
        assert table.schema == BATCH_SCHEMAS[name]


def test_19_digit_ids_stay_exact(make_bill: Callable[..., Any], body: Callable[..., bytes], rule):
    big = 9_123_456_789_012_345_678  # 19 digits, far beyond 2^53
    record = make_bill(big, cashier_staff_id=big - 1)
    record["json"]["orders"][0]["details"][0]["detail_id"] = big - 2

    tables = flatten_batch_bodies([body(record)], rule).tables

    assert tables["bills"].column("bill_id").to_pylist() == [big]
    assert tables["bills"].column("cashier_staff_id").to_pylist() == [big - 1]
    details = tables["bill_details"]
    assert details.column("detail_id").to_pylist()[:2] == [big - 2, 5539576102913]
    assert details.column("path").to_pylist()[1] == f"{big - 2}/5539576102913"
    assert set(details.column("bill_id").to_pylist()) == {big}


def test_java_double_noise_is_rounded_exactly(make_bill, body, rule):
    record = make_bill(amount="<amount>", paid="<paid>")
    record["json"]["orders"][0]["details"][0]["quantity"] = "<quantity>"
    # The vendor's exact digits, written as text so no Python float is involved.
    text = (
        json.dumps(record)
        .replace('"<amount>"', "69.80000000000001")
        .replace('"<paid>"', "0.30000000000000004")
        .replace('"<quantity>"', "2.9999999999999996")
    )

    tables = flatten_batch_bodies([body(text)], rule).tables

    assert tables["bills"].column("amount").to_pylist() == [D("69.80")]
    assert tables["bills"].column("paid").to_pylist() == [D("0.30")]
    assert tables["bill_details"].column("quantity").to_pylist()[0] == D("3.000")


def test_business_date_follows_the_day_start(make_bill, body, rule: BusinessDayRule):
    late = make_bill(1, cashier_on="2018-07-29 01:30:00")
    early = make_bill(2, cashier_on="2018-07-29 06:00:00")

    bills = flatten_batch_bodies([body(late, early)], rule).tables["bills"]

    assert rows(bills, "bill_id", "business_date") == [
        (1, dt.date(2018, 7, 28)),
        (2, dt.date(2018, 7, 29)),
    ]


def test_two_versions_of_one_bill_are_both_returned(make_bill, body, rule):
    """Dedupe is the warehouse's job: it needs both versions, told apart by _rec."""
    first = make_bill(undo_index=0, cashier_on="2018-07-28 15:30:43")
    second = make_bill(undo_index=1, cashier_on="2018-07-28 16:02:10", amount=99)
    second["json"]["orders"][0]["details"].pop()

    batch = flatten_batch_bodies([body(first), body(second)], rule)

    assert rows(batch.tables["bills"], "bill_id", "undo_index", "amount", REC) == [
        (BILL, 0, D("109.00"), 0),
        (BILL, 1, D("99.00"), 1),
    ]
    assert batch.tables["bill_details"].column(REC).to_pylist() == [0, 0, 0, 0, 1, 1]
    assert batch.records == 2


def test_deep_children_get_paths_roots_and_depths(make_bill, body, rule):
    ids = [100, 101, 102, 103, 104, 105]  # depth 0 .. 5
    node: dict[str, Any] = {"detail_id": ids[-1], "children": []}
    for detail_id in reversed(ids[:-1]):
        node = {"detail_id": detail_id, "children": [node]}
    record = make_bill()
    record["json"]["orders"][0]["details"] = [node]

    details = flatten_batch_bodies([body(record)], rule).tables["bill_details"]

    assert rows(details, "detail_id", "parent_detail_id", "root_detail_id", "depth", "path") == [
        (
            i,
            None if depth == 0 else ids[depth - 1],
            100,
            depth,
            "/".join(map(str, ids[: depth + 1])),
        )
        for depth, i in enumerate(ids)
    ]
    assert rows(details, "goods_id", "tags", "quantity")[5] == (None, [], None)


def test_null_lists_read_as_empty_and_undo_index_defaults(make_bill, body, rule):
    record = make_bill(payments=None, promotions=None, discounts=None, undo_index=None)
    detail = record["json"]["orders"][0]["details"][0]
    detail.update(children=None, tags=None, goods=None)

    batch = flatten_batch_bodies([body(record)], rule)

    assert batch.rejects == []
    assert batch.tables["bills"].column("undo_index").to_pylist() == [0]
    assert batch.rows()["bill_payments"] == batch.rows()["bill_promotions"] == 0
    assert rows(batch.tables["bill_details"], "detail_id", "tags", "goods_id")[0] == (
        5539576102912,
        [],
        None,
    )
    assert batch.rows()["bill_details"] == 3


def test_unpadded_times_are_accepted(make_bill, body, rule):
    record = make_bill(cashier_on="2018-7-8 9:05:03", create_on="2018-07-08 8:59:00")

    bills = flatten_batch_bodies([body(record)], rule).tables["bills"]

    assert rows(bills, "cashier_on", "create_on", "business_date") == [
        (local("2018-07-08 09:05:03"), local("2018-07-08 08:59:00"), dt.date(2018, 7, 8))
    ]


def test_numeric_codes_become_text(make_bill, body, rule):
    record = make_bill(sn=201807280001)
    record["json"]["payments"][0]["payment_type_sn"] = 240000000014

    tables = flatten_batch_bodies([body(record)], rule).tables

    assert tables["bills"].column("sn").to_pylist() == ["201807280001"]
    assert tables["bill_payments"].column("payment_type_sn").to_pylist() == ["240000000014"]


def test_json_shop_id_is_the_fallback(make_bill, body, rule):
    record = make_bill()
    del record["shop_10"]
    record["json"]["shop_id"] = 77

    batch = flatten_batch_bodies([body(record)], rule)

    assert batch.tables["bills"].column("shop_id").to_pylist() == [77]
    assert set(batch.tables["bill_details"].column("shop_id").to_pylist()) == {77}
