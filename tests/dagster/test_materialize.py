"""A business-day partition materialised with ``dg.materialize`` against the simulator."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.assets.qianhub import build_qianhub_assets
from dagster_project.partitions import business_day_partitions
from dagster_project.resources import QianhubResource, WarehouseResource
from etl.config import WarehouseSettings
from etl.simulator import DemoKeys, QianhubWorld
from tests.conftest import StartQianhub

DAY = "2026-11-02"


def test_partition_materialises_tables_and_checks(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    e2e_world: QianhubWorld,
    warehouse_settings: WarehouseSettings,
) -> None:
    simulator = start_qianhub("malformed=0.05")
    resources = {
        "warehouse": WarehouseResource(home=str(warehouse_settings.home)),
        "qianhub": QianhubResource(
            gateway_url=simulator.url,
            app_id=demo_keys.app_id,
            private_key_file=str(demo_keys.private_key_file),
        ),
    }
    assets = build_qianhub_assets(business_day_partitions(warehouse_settings))
    result = dg.materialize(
        assets, partition_key=DAY, resources=resources, instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success

    day = dt.date.fromisoformat(DAY)
    expected = sum(len(e2e_world.final_bills(s["shop_id"], day)) for s in e2e_world.shops())
    materialized = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.asset_materializations_for_node("qianhub_batch")
    }
    bills = materialized["qianhub/bills"]
    assert bills["rows_in_partition"].value == expected
    assert bills["rejects"].value > 0
    assert "| bill_id |" in bills["preview"].value
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "unique_keys": True,
        "no_orphan_children": True,
        "bill_totals_match_dayend": True,
        "lake_matches_duckdb": True,
    }
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        count = con.execute(
            "SELECT count(*) FROM qianhub.bills WHERE business_date = ?", [day]
        ).fetchall()
    assert count == [(expected,)]
    lake = (
        warehouse_settings.lake_dir / "qianhub" / "bills" / f"business_date={DAY}" / "data.parquet"
    )
    assert lake.exists()


def test_checks_fail_when_the_warehouse_is_wrong(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    warehouse_settings: WarehouseSettings,
) -> None:
    from dagster_project.assets.qianhub_metadata import check_results
    from etl.warehouse import Warehouse

    simulator = start_qianhub()
    resources = {
        "warehouse": WarehouseResource(home=str(warehouse_settings.home)),
        "qianhub": QianhubResource(
            gateway_url=simulator.url,
            app_id=demo_keys.app_id,
            private_key_file=str(demo_keys.private_key_file),
        ),
    }
    assets = build_qianhub_assets(business_day_partitions(warehouse_settings))
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(assets, partition_key=DAY, resources=resources, instance=instance).success
    day = dt.date.fromisoformat(DAY)
    with Warehouse.open(warehouse_settings) as wh:
        # One bill vanishes from DuckDB only (not from the lake), and one detail is duplicated.
        wh.con.execute(
            "DELETE FROM qianhub.bills WHERE bill_id = (SELECT min(bill_id) FROM qianhub.bills)"
        )
        wh.con.execute(
            "INSERT INTO qianhub.bill_details SELECT * FROM qianhub.bill_details LIMIT 1"
        )
        results = {r.check_name: r for r in check_results(wh, day)}
    assert not results["bill_totals_match_dayend"].passed
    assert results["bill_totals_match_dayend"].metadata["shops_compared"].value == 3
    assert not results["lake_matches_duckdb"].passed
    assert not results["unique_keys"].passed
    assert results["unique_keys"].metadata["qianhub.bill_details"].value == 1
    assert not results["no_orphan_children"].passed  # the deleted bill's children remain
