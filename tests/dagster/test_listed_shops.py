"""Only the shops of the newest list-shop load are queried by the daily step."""

from __future__ import annotations

import json

from dagster_project.assets.qianhub_metadata import listed_shops
from etl.config import WarehouseSettings
from etl.flatten.qianhub import SHOPS_ENTITY, flatten_shops
from etl.warehouse import LoadUnit, Warehouse


def _listing(*shop_ids: int) -> bytes:
    shops = [
        {"shop_id": i, "brand_id": 1, "brand_name": "b", "shop_name": f"s{i}"} for i in shop_ids
    ]
    return json.dumps({"shops": shops}).encode()


def test_a_shop_no_longer_listed_is_not_queried(warehouse_settings: WarehouseSettings) -> None:
    with Warehouse.open(warehouse_settings) as wh:
        wh.load(
            LoadUnit("qianhub", "list-shop", "all"),
            flatten_shops(_listing(10, 11, 12)),
            [SHOPS_ENTITY],
        )
        assert listed_shops(wh) == [10, 11, 12]
        wh.load(
            LoadUnit("qianhub", "list-shop", "all"), flatten_shops(_listing(10, 12)), [SHOPS_ENTITY]
        )
        assert listed_shops(wh) == [10, 12]
        kept = wh.con.execute("SELECT count(*) FROM qianhub.shops").fetchall()
    assert kept == [(3,)]


def test_a_bad_descriptive_field_keeps_the_shop_listed(
    warehouse_settings: WarehouseSettings,
) -> None:
    body = json.dumps(
        {"shops": [{"shop_id": 10, "shop_name": "ok"}, {"shop_id": 11, "business_on": "2018/1/1"}]}
    ).encode()
    batch = flatten_shops(body)
    with Warehouse.open(warehouse_settings) as wh:
        wh.load(LoadUnit("qianhub", "list-shop", "all"), batch, [SHOPS_ENTITY])
        assert listed_shops(wh) == [10, 11]
        rejects = wh.con.execute("SELECT record_key, shop_id, reason FROM meta.rejects").fetchall()
    ((key, shop_id, reason),) = rejects
    assert (key, shop_id) == ("11", 11)
    assert reason.startswith("kept shop_id only:") and "business_on" in reason
