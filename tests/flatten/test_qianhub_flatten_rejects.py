"""Bad records become rejects with their exact raw text; the records around them still load."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from etl.batch import REC, Reject
from etl.business_day import BusinessDayRule
from etl.flatten import flatten_batch_bodies

BILL = 5539576104912


def _good(make_bill: Callable[..., dict[str, Any]], bill_id: int) -> str:
    return json.dumps(make_bill(bill_id), ensure_ascii=False)


def _bill_text(
    make_bill: Callable[..., dict[str, Any]], edit: Callable[[dict[str, Any]], Any]
) -> str:
    record = make_bill(BILL)
    edit(record)
    # Odd spacing on purpose: the raw payload must be the record's text exactly as sent.
    return json.dumps(record, ensure_ascii=False, indent=1).replace('"boh_type":', '"boh_type" :')


def _detail(record: dict[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = record["json"]["orders"][0]["details"][0]
    return detail


CASES: dict[str, tuple[Callable[[dict[str, Any]], Any], str, str | None]] = {
    # case: (edit of a valid bill, expected reason (substring), expected record_key)
    "amount is a malformed string": (
        lambda r: r["json"].update(amount="12.3.4"),
        'json.amount is not a JSON number: "12.3.4"',
        str(BILL),
    ),
    "money as a string": (
        lambda r: r["json"].update(paid="109"),
        "json.paid is not a JSON number",
        str(BILL),
    ),
    "money finer than a cent": (
        lambda r: _detail(r).update(real_amount=1.005),
        "json.orders[0].details[0].real_amount 1.005 has more than 2 decimal places",
        str(BILL),
    ),
    "quantity finer than 3 places": (
        lambda r: _detail(r)["children"][0].update(weight=0.0005),
        "json.orders[0].details[0].children[0].weight 0.0005 has more than 3 decimal places",
        str(BILL),
    ),
    "money too large": (
        lambda r: r["json"].update(amount=1e16),
        "json.amount 1e+16 does not fit DECIMAL(18,2)",
        str(BILL),
    ),
    "bad time": (
        lambda r: r["json"].update(cashier_on="2018-07-28 25:00:00"),
        "json.cashier_on '2018-07-28 25:00:00' is not a valid time",
        str(BILL),
    ),
    "ISO time": (
        lambda r: r["json"].update(cashier_on="2018-07-28T15:30:43"),
        "json.cashier_on '2018-07-28T15:30:43' is not a time 'yyyy-MM-dd HH:mm:ss'",
        str(BILL),
    ),
    "missing cashier_on": (
        lambda r: r["json"].pop("cashier_on"),
        "json: Object missing required field `cashier_on`",
        str(BILL),
    ),
    "bill_id not an int": (
        lambda r: r["json"].update(bill_id="ERR-1"),
        "json.bill_id: Expected `int`, got `str`",
        "ERR-1",
    ),
    "bill_id beyond int64": (
        lambda r: r["json"].update(bill_id=2**63),
        "json.bill_id: Expected `int` <= 9223372036854775807",
        str(2**63),
    ),
    "id as a float": (
        lambda r: _detail(r).update(staff_id=1436.0),
        "json.orders[0].details[0].staff_id: Expected `int | null`, got `float`",
        str(BILL),
    ),
    "detail is a string": (
        lambda r: r["json"]["orders"][0]["details"].append("oops"),
        "json.orders[0].details[2]: Expected `object`, got `str`",
        str(BILL),
    ),
    "json is null": (lambda r: r.update(json=None), "json is null, not an object", None),
    "json is an array": (lambda r: r.update(json=[]), "json is an array, not an object", None),
    "unknown boh_type": (
        lambda r: r.update(boh_type="member.recharge"),
        "unsupported boh_type 'member.recharge'",
        str(BILL),
    ),
    "missing boh_type": (lambda r: r.pop("boh_type"), "boh_type is missing", str(BILL)),
    "shop key and value disagree": (
        lambda r: r.update(shop_10=11),
        "shop_10 holds shop 11",
        str(BILL),
    ),
    "envelope and json shop disagree": (
        lambda r: r["json"].update(shop_id=11),
        "shop_id 10 disagrees with json.shop_id 11",
        str(BILL),
    ),
    "no shop at all": (
        lambda r: (r.pop("shop_10"), r["json"].pop("shop_id")),
        "shop_id is missing",
        str(BILL),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_bill_is_rejected_alone(
    case: str,
    make_bill: Callable[..., dict[str, Any]],
    body: Callable[..., bytes],
    rule: BusinessDayRule,
):
    edit, reason, key = CASES[case]
    bad = _bill_text(make_bill, edit)

    batch = flatten_batch_bodies([body(_good(make_bill, 1), bad, _good(make_bill, 2))], rule)

    assert len(batch.rejects) == 1
    reject = batch.rejects[0]
    assert reason in reject.reason
    assert reject.raw_payload == bad
    assert (reject.vendor, reject.endpoint, reject.record_key) == ("qianhub", "batch-query", key)
    # Never half a bill: only the good bills' rows, each tagged with its own record.
    assert batch.records == 3
    assert batch.tables["bills"].column("bill_id").to_pylist() == [1, 2]
    assert batch.tables["bills"].column(REC).to_pylist() == [0, 2]
    assert set(batch.tables["bill_details"].column(REC).to_pylist()) == {0, 2}
    assert set(batch.tables["bill_payments"].column("bill_id").to_pylist()) == {1, 2}


def test_reject_keeps_the_shop_when_readable(make_bill, body, rule):
    bad = _bill_text(make_bill, lambda r: r["json"].update(amount="x"))

    (reject,) = flatten_batch_bodies([body(bad)], rule).rejects

    assert reject.shop_id == 10


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("null", "record is null, not a JSON object"),
        ("[1, 2]", "record is an array, not a JSON object"),
        ('"cashier.finish"', "record is a string, not a JSON object"),
        ('{"boh_type": 7, "json": {}}', "boh_type: Expected `str | null`, got `int`"),
        ('{"boh_type": "handover.stat", "shop_id": "10", "json": {}}', "shop_id: Expected"),
    ],
)
def test_records_that_are_not_envelopes(text: str, reason: str, make_bill, body, rule):
    batch = flatten_batch_bodies([body(_good(make_bill, 1), text)], rule)

    assert [(r.reason.startswith(reason), r.raw_payload) for r in batch.rejects] == [(True, text)]
    assert batch.rows()["bills"] == 1


def test_body_that_is_not_an_array_is_one_reject(make_bill, body, rule):
    error_body = '{"error_code": 1000, "message": "系统错误"}'.encode()
    truncated = body(_good(make_bill, 3))[:-20]

    batch = flatten_batch_bodies(
        [body(_good(make_bill, 1)), error_body, truncated, body(_good(make_bill, 2))], rule
    )

    assert [(r.reason, r.raw_payload) for r in batch.rejects] == [
        ("body is not a JSON array: Expected `array`, got `object`", error_body.decode()),
        (batch.rejects[1].reason, truncated.decode()),
    ]
    assert batch.rejects[1].reason == "body is not a JSON array: Input data was truncated"
    assert batch.records == 4
    assert batch.tables["bills"].column(REC).to_pylist() == [0, 3]


def test_children_nested_deeper_than_64_are_rejected(make_bill, body, rule):
    node: dict[str, Any] = {"detail_id": 1000}
    for detail_id in range(999, 934, -1):  # 65 ancestors: the leaf sits at depth 65
        node = {"detail_id": detail_id, "children": [node]}
    record = make_bill()
    record["json"]["orders"][0]["details"] = [node]

    (reject,) = flatten_batch_bodies([body(record)], rule).rejects

    assert "details nested deeper than 64 levels" in reject.reason


def test_depth_64_is_still_accepted(make_bill, body, rule):
    node: dict[str, Any] = {"detail_id": 1000}
    for detail_id in range(999, 935, -1):  # 64 ancestors: the leaf sits at depth 64
        node = {"detail_id": detail_id, "children": [node]}
    record = make_bill()
    record["json"]["orders"][0]["details"] = [node]

    batch = flatten_batch_bodies([body(record)], rule)

    assert batch.rejects == []
    assert max(batch.tables["bill_details"].column("depth").to_pylist()) == 64


def test_absurd_nesting_fails_the_body_not_the_process(rule):
    deep = b'[{"boh_type": "cashier.finish", "json": ' + b"[" * 5000 + b"]" * 5000 + b"}]"

    (reject,) = flatten_batch_bodies([deep], rule).rejects

    assert reject == Reject(
        "qianhub", "batch-query", "body is not a JSON array: JSON nested too deeply to decode",
        deep.decode(),
    )  # fmt: skip
