"""Pospal tickets flatten into tickets, items, attributes, payments and refund links."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.flatten.pospal import TICKET_SCHEMAS, flatten_ticket_pages

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pospal"
D = Decimal
ACCOUNT = "store-a"
SN = "201511121602084680006"
UID = 1514196146215295712
DAY = dt.date(2015, 11, 12)

Ticket = dict[str, Any]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def example_ticket() -> Ticket:
    """The document's queryTicketPages ticket (with the uid real answers carry)."""
    ticket: Ticket = json.loads(fixture("ticket_pages_example.json"))["data"]["result"][0]
    return ticket


def page(*tickets: Ticket | str) -> bytes:
    """A queryTicketPages answer; ``str`` tickets go in verbatim."""
    parts = [t if isinstance(t, str) else json.dumps(t, ensure_ascii=False) for t in tickets]
    return (
        '{"status":"success","messages":[],"data":{"postBackParameter":'
        '{"parameterType":"LAST_RESULT_MAX_ID","parameterValue":"1"},"result":['
        + ",".join(parts)
        + '],"pageSize":100}}'
    ).encode()


def ticket(**changes: Any) -> Ticket:
    result = copy.deepcopy(example_ticket())
    result.update(changes)
    return result


def local(text: str) -> dt.datetime:
    """A naive store-local time: vendor times carry no zone and are stored without one."""
    return dt.datetime.fromisoformat(text)


def column(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist()


def test_doc_example_flattens_to_exact_rows(rule: BusinessDayRule):
    batch = flatten_ticket_pages([fixture("ticket_pages_example.json")], rule, account=ACCOUNT)

    assert batch.records == 1
    assert batch.rejects == []
    assert batch.rows() == {
        "tickets": 1,
        "ticket_items": 1,
        "ticket_item_attributes": 1,
        "ticket_payments": 1,
        "refund_links": 0,
    }
    assert batch.tables["tickets"].to_pylist() == [
        {
            "account": ACCOUNT,
            "sn": SN,
            "business_date": DAY,
            "uid": UID,
            "ticket_time": local("2015-11-12 16:02:12"),
            "cashier_uid": 832101480292933201,
            "total_amount": D("72.00"),
            "signed_amount": D("72.00"),
            "total_profit": D("42.0000"),
            "discount_percent": D("100.000"),
            "rounding": D("0.00"),
            "ticket_type": "SELL",
            "ticket_type_raw": "SELL",
            "is_void": False,
            "is_return": False,
            "external_order_no": "2017121521001004460219576817",
            "remark": "收银测试",
            "item_count": 1,
            "cashier_job_number": None,
            "cashier_name": None,
            "customer_uid": None,  # customerUid 0 = no member
            "is_member": False,
            "sell_ticket_uid": None,
            "store": None,
            REC: 0,
        }
    ]
    assert batch.tables["ticket_items"].to_pylist() == [
        {
            "account": ACCOUNT,
            "sn": SN,
            "line_no": 0,
            "business_date": DAY,
            "product_uid": 379659791803681560,
            "name": "冰摩卡",
            "product_barcode": None,
            "buy_price": D("10.0000"),
            "sell_price": D("24.0000"),
            "customer_price": D("22.0000"),
            "quantity": D("1.000"),
            "discount": D("100.000"),
            "customer_discount": D("100.000"),
            "total_amount": D("24.00"),
            "total_profit": D("14.0000"),
            "is_customer_discount": True,
            "is_weighing": None,
            REC: 0,
        }
    ]
    assert batch.tables["ticket_item_attributes"].to_pylist() == [
        {
            "account": ACCOUNT,
            "sn": SN,
            "line_no": 0,
            "attr_no": 0,
            "business_date": DAY,
            "attribute_name": "加粮",
            "attribute_value": "一匙",
            REC: 0,
        }
    ]
    assert batch.tables["ticket_payments"].to_pylist() == [
        {
            "account": ACCOUNT,
            "sn": SN,
            "line_no": 0,
            "business_date": DAY,
            "code": "payCode_1",
            "pay_method_name": "现金",  # universal, named without the store's list
            "amount": D("9.42"),
            REC: 0,
        }
    ]


def test_every_table_is_present_with_its_schema_even_when_empty(rule: BusinessDayRule):
    batch = flatten_ticket_pages([page()], rule, account=ACCOUNT)
    assert batch.records == 0
    assert {name: t.schema for name, t in batch.tables.items()} == TICKET_SCHEMAS


@pytest.mark.parametrize("raw_type", ["sell", "Sell", "sELL", "SELL"])
def test_ticket_type_is_read_without_case(raw_type: str, rule: BusinessDayRule):
    batch = flatten_ticket_pages([page(ticket(ticketType=raw_type))], rule, account=ACCOUNT)
    assert column(batch.tables["tickets"], "ticket_type") == ["SELL"]
    assert column(batch.tables["tickets"], "ticket_type_raw") == [raw_type]


def test_voided_ticket_is_flagged_and_keeps_its_amounts(rule: BusinessDayRule):
    batch = flatten_ticket_pages([page(ticket(invalid=1))], rule, account=ACCOUNT)
    tickets = batch.tables["tickets"]
    assert column(tickets, "is_void") == [True]
    assert column(tickets, "signed_amount") == [D("72.00")]


def test_missing_invalid_reads_as_not_voided(rule: BusinessDayRule):
    record = ticket()
    del record["invalid"]
    batch = flatten_ticket_pages([page(record)], rule, account=ACCOUNT)
    assert column(batch.tables["tickets"], "is_void") == [False]


def test_single_return_ticket_is_negated_and_linked_to_its_sale(rule: BusinessDayRule):
    """The refund look-up example: data is one SELL_RETURN ticket with positive amounts."""
    answer = json.loads(fixture("refund_ticket_example.json"))
    answer["data"]["sellTicketUid"] = 66663989680866397
    answer["data"]["ticketType"] = "sell_return"
    body = json.dumps(answer, ensure_ascii=False).encode()

    batch = flatten_ticket_pages([body], rule, account=ACCOUNT)

    assert batch.rejects == []
    [row] = batch.tables["tickets"].to_pylist()
    assert (row["sn"], row["ticket_type"], row["is_return"]) == (
        "201705091518217950003",
        "SELL_RETURN",
        True,
    )
    assert (row["total_amount"], row["signed_amount"]) == (D("250.00"), D("-250.00"))
    assert row["sell_ticket_uid"] == 66663989680866397
    assert row["remark"] == ""
    assert batch.tables["refund_links"].to_pylist() == [
        {
            "account": ACCOUNT,
            "sn": "201705091518217950003",
            "business_date": dt.date(2017, 5, 9),
            "return_uid": 1494314301795000003,
            "sell_ticket_uid": 66663989680866397,
            REC: 0,
        }
    ]
    assert column(batch.tables["ticket_item_attributes"], "sn") == []  # an empty list
    assert column(batch.tables["ticket_payments"], "amount") == [D("250.00")]


def test_return_without_its_sale_has_no_refund_link(rule: BusinessDayRule):
    batch = flatten_ticket_pages([fixture("refund_ticket_example.json")], rule, account=ACCOUNT)
    assert column(batch.tables["tickets"], "is_return") == [True]
    assert batch.tables["refund_links"].num_rows == 0


def test_sale_naming_a_sell_ticket_uid_is_not_a_refund_link(rule: BusinessDayRule):
    batch = flatten_ticket_pages(
        [page(ticket(sellTicketUid=66663989680866397))], rule, account=ACCOUNT
    )
    assert batch.tables["refund_links"].num_rows == 0


def test_ids_beyond_2_53_stay_exact(rule: BusinessDayRule):
    record = ticket(
        uid=9223372036854775807,
        cashierUid=9007199254740993,
        customerUid=1234567890123456789,
        sellTicketUid=-9223372036854775808,
    )
    record["items"][0]["productUid"] = 1000000000000000001
    batch = flatten_ticket_pages([page(record)], rule, account=ACCOUNT)

    [row] = batch.tables["tickets"].to_pylist()
    assert row["uid"] == 9223372036854775807
    assert row["cashier_uid"] == 9007199254740993
    assert (row["customer_uid"], row["is_member"]) == (1234567890123456789, True)
    assert row["sell_ticket_uid"] == -9223372036854775808
    assert column(batch.tables["ticket_items"], "product_uid") == [1000000000000000001]


def test_fractional_quantity_weighed_line_and_cashier(rule: BusinessDayRule):
    record = ticket(cashier={"jobNumber": 1001, "name": "收银员A", "uid": 1})
    record["items"][0].update(
        quantity=3.5,
        buyPrice=2.3456,
        totalProfit=75.7904,
        discount=88.5,
        isWeighing=1,
        isCustomerDiscount=0,
        productBarcode="6901234567892",
        totalAmount=69.80000000000001,  # a Java double's noise, rounded away exactly
    )
    record["items"][0]["ticketitemattributes"].append(
        {"attributeName": "加价", "attributeValue": 2}
    )
    batch = flatten_ticket_pages([page(record)], rule, account=ACCOUNT)

    [item] = batch.tables["ticket_items"].to_pylist()
    assert item["quantity"] == D("3.500")
    assert item["buy_price"] == D("2.3456")
    assert item["total_profit"] == D("75.7904")
    assert item["discount"] == D("88.500")
    assert item["total_amount"] == D("69.80")
    assert (item["is_weighing"], item["is_customer_discount"]) == (True, False)
    assert item["product_barcode"] == "6901234567892"
    assert column(batch.tables["ticket_item_attributes"], "attribute_value") == ["一匙", "2"]
    [row] = batch.tables["tickets"].to_pylist()
    assert (row["cashier_job_number"], row["cashier_name"]) == ("1001", "收银员A")


def test_business_date_follows_the_day_start_hour(rule: BusinessDayRule):
    batch = flatten_ticket_pages(
        [page(ticket(datetime="2015-11-13 05:59:59"))], rule, account=ACCOUNT
    )
    assert column(batch.tables["tickets"], "business_date") == [DAY]
    assert column(batch.tables["ticket_payments"], "business_date") == [DAY]


def test_two_copies_of_one_ticket_are_both_returned_with_distinct_rec(rule: BusinessDayRule):
    """A re-checkout changes the ticket in place; deduplication is the warehouse's job."""
    before = ticket()
    after = ticket(totalAmount=80)
    after["payments"].append({"code": "payCode_7", "amount": 70.58})
    batch = flatten_ticket_pages([page(before), page(after)], rule, account=ACCOUNT)

    assert batch.records == 2
    tickets = batch.tables["tickets"]
    assert column(tickets, "sn") == [SN, SN]
    assert column(tickets, REC) == [0, 1]
    assert column(tickets, "total_amount") == [D("72.00"), D("80.00")]
    payments = batch.tables["ticket_payments"]
    assert list(zip(column(payments, REC), column(payments, "line_no"), strict=True)) == [
        (0, 0),
        (1, 0),
        (1, 1),
    ]


def test_pay_method_names_come_from_the_store(rule: BusinessDayRule):
    record = ticket()
    record["payments"] = [
        {"code": "payCode_1", "amount": 10},
        {"code": "payCode_7", "amount": 20},
        {"code": "payCode_99", "amount": 42},
    ]
    names = {"payCode_1": "现金(店)", "payCode_7": "微信"}
    batch = flatten_ticket_pages([page(record)], rule, account=ACCOUNT, pay_methods=names)
    payments = batch.tables["ticket_payments"]
    assert column(payments, "pay_method_name") == ["现金(店)", "微信", None]
    assert column(payments, "amount") == [D("10.00"), D("20.00"), D("42.00")]


def test_rec_counts_records_across_bodies_and_null_lists_are_empty(rule: BusinessDayRule):
    bare = ticket(sn="2", items=None, payments=None)
    listed = b'{"status":"SUCCESS","messages":[],"data":[' + json.dumps(bare).encode() + b"]}"
    empty = b'{"status":"success","messages":[],"data":null}'
    batch = flatten_ticket_pages([page(ticket()), empty, listed], rule, account=ACCOUNT)
    assert batch.records == 2
    assert column(batch.tables["tickets"], REC) == [0, 1]
    assert column(batch.tables["tickets"], "item_count") == [1, 0]
    assert column(batch.tables["ticket_items"], REC) == [0]
