"""``waimai.order`` records, in the format the later revision of the document gives: a completed
order with a mapped and an unmapped line, a cancelled one, a state arriving late, and a
malformed one kept as a reject."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from etl.business_day import BusinessDayRule
from etl.config import WarehouseSettings
from etl.flatten.qianhub import BATCH_ENTITIES, flatten_batch_bodies
from etl.warehouse import LoadUnit, Warehouse

ORDER_ID = 9100000000000000001  # beyond 2^53


def _order(order_id: int = ORDER_ID, state: str = "Completed", **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "order": order_id,
        "sn": 12,
        "channel": "MT",
        "channelOrder": "27012345678901234",
        "amount": 61.5,
        "guest": {"name": "张先生", "address": "科技园 1 号", "phone": "13800000000", "count": 2},
        "payState": "Paid",
        "orderState": state,
        "shipType": "platform",
        "details": [
            {"id": 1, "order": order_id, "partnerGoods": 670, "partnerGoodsName": "蝴蝶虾",
             "partnerGoodsSN": "9001293", "channelGoods": 88001, "channelGoodsName": "蝴蝶虾(外卖)",
             "unitName": "份", "price": 52, "quantity": 1, "boxPrice": 1.5, "boxQuantity": 1,
             "bagName": "1号袋", "createon": "2026-11-02 12:01:00"},
            {"id": 2, "order": order_id, "partnerGoods": None, "partnerGoodsName": None,
             "channelGoods": "A-77", "channelGoodsName": "可乐", "unitName": "瓶", "price": 5,
             "quantity": 2, "boxPrice": 0, "boxQuantity": 0, "createon": "2026-11-02 12:01:00"},
        ],
        "promotions": [{"name": "满60减5", "amount": 5, "type": 9}, {"id": 3}],
        "extra": {"goodsAmount": 62, "boxAmount": 1.5, "pickType": 0, "channelShare": 11.16,
                  "channelPromotion": 3, "partnerReceive": 45.84, "partnerPromotion": 2,
                  "partnerShipFee": 0, "onlinePaid": 61.5, "shipFee": 3, "hasInvoice": 0,
                  "partner": "P1", "partnerMch": "M1", "channelMch": "C1"},
        "createon": "2026-11-02 12:01:00",
    }  # fmt: skip
    document.update(changes)
    return {"shop_id": 10, "boh_type": "waimai.order", "json": document}


def _flatten(*records: dict[str, Any]) -> Any:
    body = json.dumps(list(records), ensure_ascii=False).encode()
    return flatten_batch_bodies([body], BusinessDayRule())


def test_a_completed_order_with_a_mapped_and_an_unmapped_line() -> None:
    batch = _flatten(_order())
    assert batch.rejects == []
    (order,) = batch.tables["delivery_orders"].to_pylist()
    assert {k: v for k, v in order.items() if k != "_rec"} == {
        "order_id": ORDER_ID, "shop_id": 10, "business_date": dt.date(2026, 11, 2), "sn": "12",
        "channel": "MT", "channel_name": "Meituan", "channel_order": "27012345678901234",
        "order_state": "Completed", "state_rank": 4, "is_canceled": False, "pay_state": "Paid",
        "ship_type": "platform", "guest_count": 2, "amount": D("61.50"),
        "goods_amount": D("62.00"), "box_amount": D("1.50"), "ship_fee": D("3.00"),
        "channel_share": D("11.16"), "channel_promotion": D("3.00"),
        "partner_promotion": D("2.00"), "partner_ship_fee": D("0.00"),
        "partner_receive": D("45.84"), "online_paid": D("61.50"), "pick_type": "0",
        "has_invoice": False, "partner": "P1", "partner_mch": "M1", "channel_mch": "C1",
        "item_count": 2, "created_on": dt.datetime(2026, 11, 2, 12, 1),
    }  # fmt: skip
    items = batch.tables["delivery_order_items"].to_pylist()
    assert [
        (i["line_no"], i["channel_goods"], i["partner_goods"], i["is_mapped"], i["quantity"])
        for i in items
    ] == [(0, "88001", 670, True, D("1.000")), (1, "A-77", None, False, D("2.000"))]
    promotions = batch.tables["delivery_order_promotions"].to_pylist()
    assert [(p["name"], p["amount"], json.loads(p["promotion_json"])) for p in promotions] == [
        ("满60减5", D("5.00"), {"name": "满60减5", "amount": 5, "type": 9}),
        (None, None, {"id": 3}),
    ]
    # Personal data never reaches the warehouse tables.
    assert "13800000000" not in json.dumps(batch.tables["delivery_orders"].to_pylist(), default=str)


def test_a_cancelled_order_and_a_state_arriving_late(tmp_path: Path) -> None:
    other = ORDER_ID + 1
    settings = WarehouseSettings(home=tmp_path / "home")
    with Warehouse.open(settings) as wh:
        # The later states first, then an older state of the first order arrives late.
        wh.load(
            LoadUnit("qianhub", "batch-query", "shop_id=10"),
            _flatten(_order(), _order(other, "Canceled", details=[])),
            BATCH_ENTITIES,
        )
        wh.load(
            LoadUnit("qianhub", "batch-query", "shop_id=10"),
            _flatten(_order(state="Shipping", details=[])),
            BATCH_ENTITIES,
        )
        rows = wh.con.execute(
            "SELECT order_id, order_state, is_canceled, item_count FROM qianhub.delivery_orders "
            "ORDER BY order_id"
        ).fetchall()
        items = wh.con.execute("SELECT count(*) FROM qianhub.delivery_order_items").fetchall()
        mapping = wh.con.execute(
            "SELECT channel_goods, partner_goods FROM qianhub.delivery_goods_map ORDER BY 1"
        ).fetchall()
    assert rows == [(ORDER_ID, "Completed", False, 2), (other, "Canceled", True, 0)]
    assert items == [(2,)]
    assert mapping == [("88001", 670), ("A-77", None)]


def test_a_malformed_order_is_a_reject_naming_the_field() -> None:
    batch = _flatten(_order(), _order(ORDER_ID + 2, amount="61.5"))
    assert batch.tables["delivery_orders"].num_rows == 1
    (reject,) = batch.rejects
    assert reject.record_key == str(ORDER_ID + 2)
    assert "json.amount" in reject.reason
