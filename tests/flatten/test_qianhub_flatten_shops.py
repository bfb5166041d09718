"""list-shop responses flatten into one row per shop."""

from __future__ import annotations

import datetime as dt
import json

from etl.batch import REC
from etl.flatten import SHOP_SCHEMAS, flatten_shops

DOC_SHOP = {
    "brand_id": 1,
    "brand_name": "哇哇叫",
    "shop_id": 10,
    "sn": "20001",
    "shop_name": "【树莓派】哇哇叫欢乐海岸店",
    "shop_address": "深圳市南山区1-12铺",
    "shop_contact": "0755-26960000",
}


def local(text: str) -> dt.datetime:
    """A naive shop-local time: vendor times carry no zone and are stored without one."""
    return dt.datetime.fromisoformat(text)


def test_doc_shop_and_the_optional_dates():
    second = DOC_SHOP | {
        "shop_id": 9_007_199_254_740_993,  # 2^53 + 1: exact only as an int
        "shop_address": None,
        "shop_contact": None,
        "business_on": "2018-1-1",
        "latest_business_day": "2018-07-29",
        "create_on": "2017-12-20 10:00:00",
    }
    body = json.dumps({"shops": [DOC_SHOP, second]}, ensure_ascii=False).encode()

    batch = flatten_shops(body)

    assert batch.rejects == []
    assert batch.records == 2
    assert batch.tables["shops"].to_pylist() == [
        DOC_SHOP | {"business_on": None, "latest_business_day": None, "create_on": None, REC: 0},
        second
        | {
            "business_on": dt.date(2018, 1, 1),
            "latest_business_day": dt.date(2018, 7, 29),
            "create_on": local("2017-12-20 10:00:00"),
            REC: 1,
        },
    ]
    assert batch.tables["shops"].schema == SHOP_SCHEMAS["shops"]


def test_bad_shop_field_is_rejected_but_the_shop_id_kept():
    bad = '{"shop_id": 11, "business_on": "2018/1/1"}'
    body = ('{"shops": [' + json.dumps(DOC_SHOP) + ", " + bad + "]}").encode()

    batch = flatten_shops(body)

    assert [
        (r.endpoint, r.reason, r.raw_payload, r.record_key, r.shop_id) for r in batch.rejects
    ] == [
        (
            "list-shop",
            "kept shop_id only: business_on '2018/1/1' is not a date 'yyyy-MM-dd'",
            bad,
            "11",
            11,
        )
    ]
    shops = batch.tables["shops"]
    assert shops.column("shop_id").to_pylist() == [10, 11]
    assert shops.column("shop_name").to_pylist()[1] is None


def test_body_without_a_shop_list_is_one_reject():
    body = b'{"error_code": 1000, "message": "bad"}'
    shop_without_id = b'{"shops": [{"sn": "1"}]}'

    batch = flatten_shops(body)
    missing = flatten_shops(shop_without_id)

    assert [(r.reason, r.raw_payload) for r in batch.rejects] == [
        (
            "body is not a list-shop object {'shops': [...]}: "
            "Object missing required field `shops`",
            body.decode(),
        )
    ]
    assert batch.tables["shops"].num_rows == 0
    assert batch.records == 1
    assert [r.reason for r in missing.rejects] == ["shop: Object missing required field `shop_id`"]
    array_body = flatten_shops(b"[1, 2]")
    assert [r.reason for r in array_body.rejects] == [
        "body is not a list-shop object {'shops': [...]}: Expected `object`, got `array`"
    ]
    assert array_body.records == 1
