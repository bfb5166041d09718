"""QianHub load units against the simulator: fetch -> land -> flatten -> upsert, asserting on
rows compared with the simulator's own world."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from etl.config import QianhubSettings, WarehouseSettings
from etl.flatten.qianhub import BATCH_ENTITIES
from etl.pipeline import qianhub as pipeline
from etl.qianhub.client import QianhubClient
from etl.quality.qianhub import dayend_totals
from etl.raw import RawStore
from etl.simulator import DemoKeys, QianhubWorld
from etl.warehouse import Warehouse, fingerprints
from etl.warehouse.lake_check import lake_differences
from tests.conftest import StartQianhub, qianhub_settings_for

DAY = dt.date(2026, 11, 3)


def load_days(
    qianhub: QianhubSettings, settings: WarehouseSettings, days: list[dt.date]
) -> list[pipeline.DayResult]:
    raw = RawStore(settings.raw_dir)
    results = []
    with (
        QianhubClient.from_settings(qianhub, backoff_base=0.0) as client,
        Warehouse.open(settings) as wh,
    ):
        shops = pipeline.load_shops(client, wh, raw)
        for day in days:
            results.append(
                pipeline.load_day(client, wh, raw, shops, day, qianhub=qianhub, settings=settings)
            )
    return results


def snapshot(settings: WarehouseSettings, schemas: tuple[str, ...] = ("qianhub",)) -> list[object]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return list(fingerprints(con, schemas))


def test_day_matches_the_world(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    e2e_world: QianhubWorld,
    warehouse_settings: WarehouseSettings,
) -> None:
    qianhub = qianhub_settings_for(start_qianhub(), demo_keys)
    (result,) = load_days(qianhub, warehouse_settings, [DAY])
    assert result.failures == []
    shop_ids = [s["shop_id"] for s in e2e_world.shops()]
    expected = {b["bill_id"]: b for s in shop_ids for b in e2e_world.final_bills(s, DAY)}
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        bills = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT bill_id, undo_index, paid, cashier_on FROM qianhub.bills"
            ).fetchall()
        }
        depth = con.execute("SELECT max(depth) FROM qianhub.bill_details").fetchall()[0][0]
        comparisons = dayend_totals(con, DAY)
        shops = con.execute("SELECT count(*) FROM qianhub.shops").fetchall()[0][0]
    assert set(bills) == set(expected)  # every bill once, 19-digit ids exact
    assert max(bills) > 2**53
    for bill_id, (undo_index, paid, cashier_on) in bills.items():
        source = expected[bill_id]
        assert undo_index == source["undo_index"]  # the newest re-checkout won
        assert paid == Decimal(str(source["paid"]))
        assert cashier_on == dt.datetime.fromisoformat(source["cashier_on"])
    assert any(v[0] > 0 for v in bills.values())
    assert depth >= 3
    assert shops == 3
    assert [c.matches for c in comparisons] == [True, True, True]


def test_faults_end_with_the_same_tables_and_rejects_kept(
    start_qianhub: StartQianhub, demo_keys: DemoKeys, tmp_path: pytest.TempPathFactory
) -> None:
    clean = WarehouseSettings(home=tmp_path / "clean")  # type: ignore[operator]
    faulty = WarehouseSettings(home=tmp_path / "faulty")  # type: ignore[operator]
    load_days(qianhub_settings_for(start_qianhub(), demo_keys), clean, [DAY])
    simulator = start_qianhub(
        # Rates well above real life so a dozen calls meet every fault kind.
        "5xx=0.2,drop=0.15,slow=0.1,slow_delay=0.05,timeout=0.05,timeout_delay=1.5,"
        "malformed=0.02,oversize_over_hours=6,oversize_bytes=3000000,seed=9"
    )
    qianhub = qianhub_settings_for(
        simulator,
        demo_keys,
        timeout_seconds=1.0,
        max_attempts=12,
        max_response_mb=2,
        window_hours=8,
    )
    (result,) = load_days(qianhub, faulty, [DAY])
    assert result.failures == []
    assert snapshot(faulty) == snapshot(clean)
    stats = simulator.stats
    assert stats.faults.get("5xx", 0) > 0
    assert stats.faults.get("drop", 0) > 0
    assert stats.faults.get("oversized", 0) > 0
    with duckdb.connect(str(faulty.warehouse_path), read_only=True) as con:
        rejects = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE raw_payload LIKE '{%') FROM meta.rejects"
        ).fetchall()[0]
        lake = {
            t: lake_differences(con, faulty.lake_dir, t, "business_date")
            for spec in BATCH_ENTITIES
            for t in spec.tables
        }
        windows = con.execute(
            "SELECT count(*) FROM meta.loads "
            "WHERE status = 'committed' AND endpoint = 'batch-query'"
        ).fetchall()[0][0]
    assert rejects[0] > 0
    assert set(lake.values()) == {0}
    assert rejects[0] == rejects[1]
    assert windows == 3


def test_replay_rebuilds_the_warehouse_without_the_api(
    start_qianhub: StartQianhub, demo_keys: DemoKeys, warehouse_settings: WarehouseSettings
) -> None:
    simulator = start_qianhub()
    load_days(qianhub_settings_for(simulator, demo_keys), warehouse_settings, [DAY])
    before = snapshot(warehouse_settings)
    simulator.stop()
    warehouse_settings.warehouse_path.unlink()
    raw = RawStore(warehouse_settings.raw_dir)
    with Warehouse.open(warehouse_settings) as wh:
        assert pipeline.replay_shops(wh, raw) is not None
        shops = pipeline.landed_shops(raw, DAY)
        for shop in shops:
            assert pipeline.replay_shop_day(wh, raw, shop, DAY, settings=warehouse_settings)
    assert snapshot(warehouse_settings) == before  # shops included
    assert len(shops) == 3


def test_failing_shop_does_not_stop_the_others(
    start_qianhub: StartQianhub, demo_keys: DemoKeys, warehouse_settings: WarehouseSettings
) -> None:
    qianhub = qianhub_settings_for(start_qianhub(), demo_keys)
    raw = RawStore(warehouse_settings.raw_dir)
    with (
        QianhubClient.from_settings(qianhub, backoff_base=0.0) as client,
        Warehouse.open(warehouse_settings) as wh,
    ):
        shops = pipeline.load_shops(client, wh, raw)
        result = pipeline.load_day(
            client, wh, raw, [999_999, *shops], DAY, qianhub=qianhub, settings=warehouse_settings
        )
        failed_logged = wh.con.execute(
            "SELECT unit, status FROM meta.loads WHERE status = 'failed'"
        ).fetchall()
    assert sorted(result.loaded) == shops
    (failure,) = result.failures
    assert failure.shop_id == 999_999
    assert "window [2026-11-03 06:00:00, 2026-11-04 06:00:00)" in str(failure)
    assert "1003" in failure.error
    assert failed_logged == [("shop_id=999999", "failed")]


def test_an_unexpected_error_in_one_shop_does_not_stop_the_others(
    start_qianhub: StartQianhub, demo_keys: DemoKeys, warehouse_settings: WarehouseSettings
) -> None:
    qianhub = qianhub_settings_for(start_qianhub(), demo_keys)
    raw = RawStore(warehouse_settings.raw_dir)
    with (
        QianhubClient.from_settings(qianhub, backoff_base=0.0) as client,
        Warehouse.open(warehouse_settings) as wh,
    ):
        shops = pipeline.load_shops(client, wh, raw)
        # A file where the first shop's raw folder must go: an OSError, not a vendor error.
        blocked = raw.root / "qianhub" / "batch-query" / f"business_date={DAY}"
        blocked.mkdir(parents=True)
        (blocked / f"shop_id={shops[0]}").write_text("in the way")
        result = pipeline.load_day(
            client, wh, raw, shops, DAY, qianhub=qianhub, settings=warehouse_settings
        )
        logged = wh.con.execute("SELECT unit FROM meta.loads WHERE status = 'failed'").fetchall()
    assert logged == [(f"shop_id={shops[0]}",)]
    assert sorted(result.loaded) == shops[1:]
    assert [f.shop_id for f in result.failures] == [shops[0]]
