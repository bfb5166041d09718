"""Pospal online orders, member histories and payment methods flatten to exact rows."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.flatten.pospal import (
    flatten_customer_history,
    flatten_order_pages,
    flatten_pay_methods,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pospal"
D = Decimal
ACCOUNT = "store-a"
ORDER_NO = "201909120215189230001"
MEMBER = 886263699231969848


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def local(text: str) -> dt.datetime:
    """A naive store-local time: vendor times carry no zone and are stored without one."""
    return dt.datetime.fromisoformat(text)


def order_example() -> dict[str, Any]:
    order: dict[str, Any] = json.loads(fixture("order_by_no_example.json"))["data"]
    return order


def test_order_by_no_flattens_to_exact_rows(rule: BusinessDayRule):
    batch = flatten_order_pages([fixture("order_by_no_example.json")], rule, account=ACCOUNT)

    assert batch.rejects == []
    assert batch.records == 1
    day = dt.date(2019, 9, 11)  # 02:15 belongs to the business day that started at 06:00
    assert batch.tables["orders"].to_pylist() == [
        {
            "account": ACCOUNT,
            "order_no": ORDER_NO,
            "business_date": day,
            "order_time": local("2019-09-12 02:15:18"),
            "order_id": 1568225718923000017,
            "state": 4,
            "state_name": "completed",
            "is_canceled": False,
            "pay_method": "wxpay",
            "pay_online": True,
            "customer_number": "0012345",
            "total_amount": D("53.50"),
            "shipping_fee": D("5.00"),
            "order_remark": "少辣",
            "contact_name": "张三",
            "contact_tel": "13800000000",
            "contact_address": "示例路1号",
            "day_seq": "0012",
            "delivery_type": 0,
            "order_source": None,
            "reservation_time": None,
            "dinners_number": None,
            "restaurant_area_name": None,
            "restaurant_table_name": None,
            "item_count": 2,
            REC: 0,
        }
    ]
    items = batch.tables["order_items"].to_pylist()
    assert items[1] == {
        "account": ACCOUNT,
        "order_no": ORDER_NO,
        "line_no": 1,
        "business_date": day,
        "product_uid": 379659791803681560,
        "product_name": "散装咖啡豆",
        "product_barcode": "2000001",
        "product_quantity": D("0.500"),
        "eshop_sell_price": D("49.0000"),
        "product_buy_price": D("18.3456"),
        "product_sell_price": D("49.0000"),
        "customer_price": D("49.0000"),
        "customer_discount": D("100.000"),
        "is_customer_discount": False,
        "promotion_rule_uid": None,
        "comment": "",
        REC: 0,
    }
    first = items[0]
    assert (first["product_uid"], first["is_customer_discount"], first["customer_discount"]) == (
        127984014338793015,
        True,
        D("95.000"),
    )


@pytest.mark.parametrize(
    ("state", "name", "canceled"),
    [(None, "created", False), (3, "canceled", True), (8, "dispatching", False), (6, None, False)],
)
def test_order_state_is_named_from_the_documented_codes(
    state: int | None, name: str | None, canceled: bool, rule: BusinessDayRule
):
    order = order_example() | {"state": state, "reservationTime": "", "payOnline": None}
    body = json.dumps({"status": "success", "data": [order]}, ensure_ascii=False).encode()
    [row] = flatten_order_pages([body], rule, account=ACCOUNT).tables["orders"].to_pylist()
    assert (row["state"], row["state_name"], row["is_canceled"]) == (state, name, canceled)
    assert (row["reservation_time"], row["pay_online"]) == (None, None)


def test_order_pages_take_the_paged_and_the_bare_list_shapes(rule: BusinessDayRule):
    first, second = order_example(), order_example() | {"orderNo": "2", "items": None}
    paged = {"status": "success", "data": {"postBackParameter": {}, "result": [first]}}
    bare = {"status": "success", "data": [second]}
    bodies = [json.dumps(b, ensure_ascii=False).encode() for b in (paged, bare)]
    batch = flatten_order_pages(bodies, rule, account=ACCOUNT)
    assert batch.tables["orders"].column("order_no").to_pylist() == [ORDER_NO, "2"]
    assert batch.tables["orders"].column("item_count").to_pylist() == [2, 0]
    assert batch.tables["order_items"].column(REC).to_pylist() == [0, 0]


def test_customer_history_rows_belong_to_the_member_asked_for(rule: BusinessDayRule):
    batch = flatten_customer_history(
        [fixture("customer_history_example.json")], rule, account=ACCOUNT, customer_uid=MEMBER
    )
    assert batch.rejects == []
    assert batch.tables["customer_tickets"].to_pylist() == [
        {
            "account": ACCOUNT,
            "customer_uid": MEMBER,  # the rows themselves say customerUid 0
            "store": "87EB2C555BBF382E7F6C7B275B0C502A",
            "sn": "201511121602084680006",
            "business_date": dt.date(2015, 11, 12),
            "uid": 1514196146215295712,
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
            "remark": None,
            "item_count": 1,
            REC: 0,
        }
    ]


def test_customer_history_return_from_another_store_is_negative(rule: BusinessDayRule):
    answer = json.loads(fixture("customer_history_example.json"))
    answer["data"]["result"][0].update(
        ticketType="Sell_Return", totalAmount=12.5, ticketStoreAppIdOrAccount="other-store"
    )
    body = json.dumps(answer, ensure_ascii=False).encode()
    batch = flatten_customer_history([body], rule, account=ACCOUNT, customer_uid=MEMBER)
    [row] = batch.tables["customer_tickets"].to_pylist()
    assert (row["store"], row["is_return"], row["signed_amount"]) == (
        "other-store",
        True,
        D("-12.50"),
    )


def test_pay_methods_flatten_per_account():
    batch = flatten_pay_methods(fixture("pay_methods_example.json"), account=ACCOUNT)
    assert batch.rejects == []
    assert batch.tables["pay_methods"].to_pylist() == [
        {
            "account": ACCOUNT,
            "code": "payCode_1",
            "name": "现金",
            "show_name": None,
            "is_enabled": True,
            REC: 0,
        },
        {
            "account": ACCOUNT,
            "code": "payCode_2",
            "name": "储值卡",
            "show_name": None,
            "is_enabled": True,
            REC: 1,
        },
        {
            "account": ACCOUNT,
            "code": "payCode_7",
            "name": "微信支付",
            "show_name": "微信",
            "is_enabled": True,
            REC: 2,
        },
        {
            "account": ACCOUNT,
            "code": "payCode_11",
            "name": "支付宝",
            "show_name": None,
            "is_enabled": False,
            REC: 3,
        },
    ]


def test_pay_methods_error_answer_is_one_reject():
    body = b'{"status":"error","messages":["appId not exist"],"errorCode":1034}'
    batch = flatten_pay_methods(body, account=ACCOUNT)
    assert [(r.endpoint, r.reason) for r in batch.rejects] == [
        ("queryAllPayMethod", "answer status 'error', errorCode 1034: appId not exist")
    ]
    assert batch.tables["pay_methods"].num_rows == 0
    assert batch.records == 1
