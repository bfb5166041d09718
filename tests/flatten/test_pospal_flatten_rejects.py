"""Bad Pospal records become rejects with their exact raw text; the records around them load."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from etl.batch import REC, Reject
from etl.business_day import BusinessDayRule
from etl.flatten.pospal import (
    flatten_customer_history,
    flatten_order_pages,
    flatten_pay_methods,
    flatten_ticket_pages,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pospal"
ACCOUNT = "store-a"
SN = "201511121602084680006"

Record = dict[str, Any]
Edit = Callable[[Record], Any]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def example(name: str, *path: str | int) -> Record:
    value: Any = json.loads(fixture(name))["data"]
    for step in path:
        value = value[step]
    result: Record = copy.deepcopy(value)
    return result


def page(*records: Record | str) -> bytes:
    """A paged answer; ``str`` records go in verbatim (to compare raw payloads exactly)."""
    parts = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return (
        '{"status":"success","messages":[],"data":{"result":[' + ",\n".join(parts) + "]}}"
    ).encode()


def edited(record: Record, edit: Edit) -> str:
    edit(record)
    # Odd spacing on purpose: the raw payload must be the record's text exactly as sent.
    return json.dumps(record, ensure_ascii=False, indent=1).replace('"sn":', '"sn" :')


def item(record: Record) -> Record:
    line: Record = record["items"][0]
    return line


TICKET_CASES: dict[str, tuple[Edit, str, str | None]] = {
    # case: (edit of a valid ticket, expected reason, expected record_key)
    "missing sn": (lambda t: t.pop("sn"), "ticket: Object missing required field `sn`", None),
    "empty sn": (lambda t: t.update(sn=" "), "ticket.sn is empty", " "),
    "missing uid": (lambda t: t.pop("uid"), "ticket: Object missing required field `uid`", SN),
    "uid not an int": (
        lambda t: t.update(uid="1514196146215295712"),
        "ticket.uid: Expected `int`, got `str`",
        SN,
    ),
    "uid beyond int64": (
        lambda t: t.update(uid=2**63),
        "ticket.uid: Expected `int` <= 9223372036854775807",
        SN,
    ),
    "id as a float": (
        lambda t: item(t).update(productUid=3.7965979180368154e17),
        "ticket.items[0].productUid: Expected `int | null`, got `float`",
        SN,
    ),
    "money as a string": (
        lambda t: t.update(totalAmount="72"),
        'ticket.totalAmount is not a JSON number: "72"',
        SN,
    ),
    "money finer than a cent": (
        lambda t: t["payments"][0].update(amount=9.425),
        "ticket.payments[0].amount 9.425 has more than 2 decimal places",
        SN,
    ),
    "price finer than 4 places": (
        lambda t: item(t).update(buyPrice=2.34567),
        "ticket.items[0].buyPrice 2.34567 has more than 4 decimal places",
        SN,
    ),
    "quantity finer than 3 places": (
        lambda t: item(t).update(quantity=0.0005),
        "ticket.items[0].quantity 0.0005 has more than 3 decimal places",
        SN,
    ),
    "discount too large": (
        lambda t: t.update(discount=10000000),
        "ticket.discount 10000000 does not fit DECIMAL(9,3)",
        SN,
    ),
    "bad time": (
        lambda t: t.update(datetime="2015-11-12 25:00:00"),
        "ticket.datetime '2015-11-12 25:00:00' is not a valid time",
        SN,
    ),
    "ISO time": (
        lambda t: t.update(datetime="2015-11-12T16:02:12"),
        "ticket.datetime '2015-11-12T16:02:12' is not a time 'yyyy-MM-dd HH:mm:ss'",
        SN,
    ),
    "items not a list": (
        lambda t: t.update(items={"name": "冰摩卡"}),
        "ticket.items: Expected `array | null`, got `object`",
        SN,
    ),
    "item is a string": (
        lambda t: t["items"].append("oops"),
        "ticket.items[1]: Expected `object`, got `str`",
        SN,
    ),
    "unknown ticket type": (
        lambda t: t.update(ticketType="REFUND"),
        "ticket.ticketType 'REFUND' is not SELL or SELL_RETURN",
        SN,
    ),
    "push-style numeric ticket type": (
        lambda t: t.update(ticketType=1),
        "ticket.ticketType: Expected `str`, got `int`",
        SN,
    ),
    "missing ticket type": (
        lambda t: t.pop("ticketType"),
        "ticket: Object missing required field `ticketType`",
        SN,
    ),
    "invalid is neither 0 nor 1": (
        lambda t: t.update(invalid=2),
        "ticket.invalid is 2, not 0 or 1",
        SN,
    ),
    "attribute value is an object": (
        lambda t: item(t)["ticketitemattributes"][0].update(attributeValue={"x": 1}),
        "ticket.items[0].ticketitemattributes[0].attributeValue is an object, not text",
        SN,
    ),
    "payment without a code": (
        lambda t: t["payments"][0].pop("code"),
        "ticket.payments[0]: Object missing required field `code`",
        SN,
    ),
}


@pytest.mark.parametrize("case", TICKET_CASES)
def test_bad_ticket_is_rejected_whole_and_neighbours_load(case: str, rule: BusinessDayRule):
    edit, reason, key = TICKET_CASES[case]
    good = example("ticket_pages_example.json", "result", 0)
    bad_text = edited(copy.deepcopy(good), edit)
    neighbour = dict(good, sn="2", uid=2)

    batch = flatten_ticket_pages([page(good, bad_text, neighbour)], rule, account=ACCOUNT)

    assert batch.rejects == [Reject("pospal", "queryTicketPages", reason, bad_text, key, None)]
    assert batch.records == 3
    assert batch.tables["tickets"].column(REC).to_pylist() == [0, 2]
    # Never half a ticket: no child row of the rejected record.
    for name in ("ticket_items", "ticket_item_attributes", "ticket_payments"):
        assert 1 not in batch.tables[name].column(REC).to_pylist(), name


def test_record_that_is_not_an_object(rule: BusinessDayRule):
    batch = flatten_ticket_pages([page('"oops"')], rule, account=ACCOUNT)
    assert batch.rejects == [
        Reject("pospal", "queryTicketPages", "ticket: Expected `object`, got `str`", '"oops"')
    ]


BODY_CASES: dict[str, tuple[bytes, str]] = {
    "error answer": (
        '{"status":"error","messages":["数据签名错误"],"errorCode":1032}'.encode(),
        "answer status 'error', errorCode 1032: 数据签名错误",
    ),
    "error answer without details": (
        b'{"status":"Error"}',
        "answer status 'Error', errorCode null: (no messages)",
    ),
    "not JSON": (b"<html>502 Bad Gateway</html>", "body is not JSON: "),
    "not an object": (b"[]", "not a Pospal answer: body: Expected `object`, got `array`"),
    "status not text": (b'{"status":1}', "not a Pospal answer: body.status: Expected `str | null`"),
    "no status": (b'{"data":[]}', "answer has no status"),
    "data is text": (b'{"status":"success","data":"none"}', "data is a string, not a page"),
    "result is an object": (
        b'{"status":"success","data":{"result":{}}}',
        "data.result is an object, not an array",
    ),
}


@pytest.mark.parametrize("case", BODY_CASES)
def test_bad_body_is_one_reject_holding_the_body(case: str, rule: BusinessDayRule):
    body, reason = BODY_CASES[case]
    good = fixture("ticket_pages_example.json")
    batch = flatten_ticket_pages([body, good], rule, account=ACCOUNT)

    [bad] = batch.rejects
    assert bad.reason.startswith(reason)
    assert (bad.vendor, bad.endpoint, bad.record_key) == ("pospal", "queryTicketPages", None)
    assert bad.raw_payload == body.decode("utf-8", "replace")
    assert batch.records == 2
    assert batch.tables["tickets"].column(REC).to_pylist() == [1]


def test_reject_endpoint_follows_the_shape_or_the_caller(rule: BusinessDayRule):
    single = b'{"status":"success","data":{"sn":"9"}}'
    assert flatten_ticket_pages([single], rule, account=ACCOUNT).rejects[0].endpoint == (
        "queryTicketBySn"
    )
    batch = flatten_ticket_pages(
        [single], rule, account=ACCOUNT, endpoint="queryRefunTicketBySellTicketUid"
    )
    assert batch.rejects[0].endpoint == "queryRefunTicketBySellTicketUid"
    assert batch.rejects[0].record_key == "9"


def test_history_ticket_without_store_is_rejected(rule: BusinessDayRule):
    good = example("customer_history_example.json", "result", 0)
    bad = dict(good, sn="2")
    del bad["ticketStoreAppIdOrAccount"]
    batch = flatten_customer_history(
        [page(good, bad)], rule, account=ACCOUNT, customer_uid=886263699231969848
    )
    assert [(r.endpoint, r.record_key, r.reason) for r in batch.rejects] == [
        (
            "queryCustomerHistoryTicketsByUid",
            "2",
            "ticket.ticketStoreAppIdOrAccount is missing; the store is part of the key",
        )
    ]
    assert batch.tables["customer_tickets"].column("sn").to_pylist() == [SN]


ORDER_CASES: dict[str, tuple[Edit, str, str | None]] = {
    "missing orderNo": (
        lambda o: o.pop("orderNo"),
        "order: Object missing required field `orderNo`",
        None,
    ),
    "missing orderDateTime": (
        lambda o: o.pop("orderDateTime"),
        "order: Object missing required field `orderDateTime`",
        "201909120215189230001",
    ),
    "bad reservation time": (
        lambda o: o.update(reservationTime="明天"),
        "order.reservationTime '明天' is not a time 'yyyy-MM-dd HH:mm:ss'",
        "201909120215189230001",
    ),
    "quantity as a string": (
        lambda o: o["items"][1].update(productQuantity="0.5"),
        'order.items[1].productQuantity is not a JSON number: "0.5"',
        "201909120215189230001",
    ),
    "flag out of range": (
        lambda o: o.update(payOnline=2),
        "order.payOnline is 2, not 0 or 1",
        "201909120215189230001",
    ),
    "state beyond int32": (
        lambda o: o.update(state=2**31),
        "order.state: Expected `int` <= 2147483647",
        "201909120215189230001",
    ),
}


@pytest.mark.parametrize("case", ORDER_CASES)
def test_bad_order_is_rejected_whole(case: str, rule: BusinessDayRule):
    edit, reason, key = ORDER_CASES[case]
    good = example("order_by_no_example.json")
    bad = copy.deepcopy(good)
    edit(bad)
    bad_text = json.dumps(bad, ensure_ascii=False)
    neighbour = dict(good, orderNo="2")

    batch = flatten_order_pages([page(bad_text, neighbour)], rule, account=ACCOUNT)

    assert batch.rejects == [Reject("pospal", "queryOrderPages", reason, bad_text, key, None)]
    assert batch.tables["orders"].column("order_no").to_pylist() == ["2"]
    assert set(batch.tables["order_items"].column(REC).to_pylist()) == {1}


def test_bad_pay_method_is_rejected_and_the_others_load():
    body = (
        '{"status":"success","data":[{"name":"无代码"},{"code":"payCode_1","name":"现金"}]}'
    ).encode()
    batch = flatten_pay_methods(body, account=ACCOUNT)
    assert batch.rejects == [
        Reject(
            "pospal",
            "queryAllPayMethod",
            "payMethod: Object missing required field `code`",
            '{"name":"无代码"}',
        )
    ]
    assert batch.tables["pay_methods"].column("code").to_pylist() == ["payCode_1"]
    assert batch.records == 2
