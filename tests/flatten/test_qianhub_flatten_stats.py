"""handover.stat and dayend.stat reports flatten into a report row and nested lines."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pyarrow as pa

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.flatten import flatten_batch_bodies

D = Decimal
LINE = ("section", "line_no", "parent_line_no", "depth", "key", "value_text", "count", "amount")


def local(text: str) -> dt.datetime:
    """A naive shop-local time: vendor times carry no zone and are stored without one."""
    return dt.datetime.fromisoformat(text)


def lines(table: pa.Table, section: str) -> list[tuple[Any, ...]]:
    return [tuple(row[c] for c in LINE) for row in table.to_pylist() if row["section"] == section]


def test_doc_handover_example(handover_example_body: bytes, rule: BusinessDayRule):
    batch = flatten_batch_bodies([handover_example_body], rule)
    created = local("2018-07-29 17:06:02")

    assert batch.rejects == []
    assert batch.tables["handover_stats"].to_pylist() == [
        {
            "shop_id": 10,
            "staff_id": 1436,
            "create_on": created,
            "business_date": dt.date(2018, 7, 29),
            "staff_name": "刘涛",
            REC: 0,
        }
    ]
    table = batch.tables["handover_stat_lines"]
    # 7 summary + 8 detail (+1 voucher sub) + 10 waive (+1) + 6 sale + 5 member + 4 goods (+5).
    assert table.num_rows == 47
    assert {k: table.column(k).unique().to_pylist() for k in ("shop_id", "staff_id", REC)} == {
        "shop_id": [10],
        "staff_id": [1436],
        REC: [0],
    }
    assert table.column("create_on").unique().to_pylist() == [created]
    assert lines(table, "summary")[4] == ("summary", 4, None, 0, "turnRate", "4.35%", None, None)
    assert lines(table, "detail")[3:7] == [
        ("detail", 3, None, 0, "alipay", None, D("0.000"), D("0.00")),
        ("detail", 4, None, 0, "voucher", None, D("2.000"), D("200.00")),
        ("detail", 5, 4, 1, "欢乐海岸75元抵100元代金券", None, D("2.000"), D("200.00")),
        ("detail", 6, None, 0, "debit", None, D("0.000"), D("0.00")),
    ]
    assert lines(table, "waive")[:2] == [
        ("waive", 0, None, 0, "discount", None, D("1.000"), D("69.80")),
        ("waive", 1, 0, 1, "欢乐海岸全单8折", None, D("1.000"), D("69.80")),
    ]
    goods = lines(table, "goods")
    assert [(g[1], g[2], g[3], g[4]) for g in goods] == [
        (0, None, 0, "组合锅"),
        (1, 0, 1, "海鲜类"),
        (2, 0, 1, "鱼类"),
        (3, 0, 1, "肉类"),
        (4, None, 0, "餐具"),
        (5, 4, 1, "餐具&茶位"),
        (6, None, 0, "做法"),
        (7, 6, 1, "做法"),
        (8, None, 0, "expectValue"),
    ]
    counts = {s: len(lines(table, s)) for s in table.column("section").unique().to_pylist()}
    assert counts == {"summary": 7, "detail": 9, "waive": 11, "sale": 6, "member": 5, "goods": 9}


def test_dayend_example(dayend_example_body: bytes, rule: BusinessDayRule):
    batch = flatten_batch_bodies([dayend_example_body], rule)
    day = dt.date(2018, 7, 29)

    assert batch.rejects == []
    assert batch.tables["dayend_stats"].to_pylist() == [
        {
            "shop_id": 10,
            "business_date": day,  # json.businessDay, not the date of create_on
            "staff_id": 1436,
            "staff_name": "王店",
            "create_on": local("2018-07-30 02:15:07"),
            REC: 0,
        }
    ]
    table = batch.tables["dayend_stat_lines"]
    assert set(table.column("business_date").to_pylist()) == {day}
    assert [tuple(r[c] for c in LINE) for r in table.to_pylist()] == [
        ("summary", 0, None, 0, "order", "31", None, None),
        ("summary", 1, None, 0, "turnRate", "43.5%", None, None),
        ("detail", 0, None, 0, "cash", None, D("12.000"), D("1590.50")),
        ("detail", 1, None, 0, "voucher", None, D("4.000"), D("400.00")),
        ("detail", 2, 1, 1, "欢乐海岸75元抵100元代金券", None, D("4.000"), D("400.00")),
        ("goods", 0, None, 0, "组合锅", None, D("10.500"), D("348.80")),
        ("goods", 1, 0, 1, "海鲜类", None, D("3.000"), D("146.00")),
        ("goods", 2, 1, 2, "蝴蝶虾", None, D("3.000"), D("146.00")),
    ]
    assert batch.rows()["handover_stats"] == batch.rows()["bills"] == 0


def _handover(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "shop_id": 10,
        "staff_id": 7,
        "staff_name": "刘涛",
        "boh_type": "handover.stat",
        "json": {"summary": [{"key": "bill", "item": "收银单数", "value": 3}], "detail": []},
        "create_on": "2018-07-30 01:06:02",
    }
    record.update(changes)
    return record


def test_handover_business_date_and_numeric_summary_value(body, rule: BusinessDayRule):
    batch = flatten_batch_bodies([body(_handover())], rule)

    assert batch.tables["handover_stats"].column("business_date").to_pylist() == [
        dt.date(2018, 7, 29)  # 01:06 belongs to the previous business day
    ]
    assert batch.tables["handover_stat_lines"].column("value_text").to_pylist() == ["3"]


def test_handover_create_on_falls_back_to_json(body, rule: BusinessDayRule):
    record = _handover()
    record["json"]["create_on"] = record.pop("create_on")

    batch = flatten_batch_bodies([body(record)], rule)

    assert batch.tables["handover_stats"].column("create_on").to_pylist() == [
        local("2018-07-30 01:06:02")
    ]


def test_unknown_list_sections_are_kept(body, rule: BusinessDayRule):
    record = _handover()
    record["json"]["tax"] = [{"key": "vat", "item": "增值税", "count": 1, "amount": 0.6}]
    record["json"]["note"] = "not a section"

    table = flatten_batch_bodies([body(record)], rule).tables["handover_stat_lines"]

    assert table.column("section").to_pylist() == ["summary", "tax"]
    assert table.column("amount").to_pylist() == [None, D("0.60")]


def test_bad_reports_are_rejected(body, rule: BusinessDayRule):
    no_staff = _handover(staff_id=None)
    bad_section = _handover()
    bad_section["json"]["detail"] = {"key": "cash"}
    bad_amount = _handover()
    bad_amount["json"]["detail"] = [{"key": "cash", "subdetail": [{"amount": 1.005}]}]
    dayend = _handover(boh_type="dayend.stat")  # no businessDay
    texts = [json.dumps(r, ensure_ascii=False) for r in (no_staff, bad_section, bad_amount, dayend)]

    batch = flatten_batch_bodies([body(*texts, _handover())], rule)

    assert [(r.reason, r.raw_payload == t) for r, t in zip(batch.rejects, texts, strict=True)] == [
        ("staff_id is missing (part of the handover key)", True),
        ("json.detail is an object, not a list", True),
        ("json.detail[0].subdetail[0].amount 1.005 has more than 2 decimal places", True),
        ("json.businessDay is missing (the day-end's key)", True),
    ]
    assert [r.record_key for r in batch.rejects] == [
        "|2018-07-30 01:06:02",
        "7|2018-07-30 01:06:02",
        "7|2018-07-30 01:06:02",
        None,
    ]
    assert batch.tables["handover_stats"].column(REC).to_pylist() == [4]


def test_subdetail_nested_deeper_than_64_is_rejected(body, rule: BusinessDayRule):
    line: dict[str, Any] = {"key": "leaf", "count": 1, "amount": 1}
    for _ in range(65):  # the leaf sits at depth 65
        line = {"key": "group", "count": 1, "amount": 1, "subdetail": [line]}
    record = _handover()
    record["json"]["goods"] = [line]

    (reject,) = flatten_batch_bodies([body(record)], rule).rejects

    assert reject.reason.endswith("subdetail nested deeper than 64 levels")
    assert reject.reason.startswith("json.goods[0].subdetail[0]")
