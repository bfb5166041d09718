"""Re-checkouts (反结账) on real simulator data: the newest version wins in any arrival order,
its child rows replace the old ones, and the Parquet lake follows DuckDB."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import msgspec

from etl.config import WarehouseSettings
from etl.flatten.qianhub import BATCH_ENTITIES, flatten_batch_bodies
from etl.simulator import QianhubWorld
from etl.warehouse import LoadUnit, Warehouse
from etl.warehouse.lake_check import lake_differences, partition_differences

DAY = dt.date(2026, 11, 5)
ENCODE = msgspec.json.Encoder(decimal_format="number").encode


def _count_nodes(details: list[dict[str, object]]) -> int:
    return sum(1 + _count_nodes(d.get("children") or []) for d in details)  # type: ignore[arg-type]


def test_newer_version_loaded_first_still_wins(
    e2e_world: QianhubWorld, warehouse_settings: WarehouseSettings
) -> None:
    shop = e2e_world.shop_ids()[0]
    start, end = warehouse_settings.rule.window(DAY)
    records = e2e_world.records(shop, ["cashier.finish"], start, end)
    versions = Counter(r["json"]["bill_id"] for r in records)
    bill_id = next(b for b, n in versions.items() if n >= 2)
    last_old = max(
        r["json"]["cashier_on"]
        for r in records
        if r["json"]["bill_id"] == bill_id and r["json"]["undo_index"] == 0
    )
    cut = dt.datetime.fromisoformat(last_old) + dt.timedelta(seconds=1)
    early = e2e_world.records(shop, ["cashier.finish"], start, cut)
    late = e2e_world.records(shop, ["cashier.finish"], cut, end)
    final = next(b for b in e2e_world.final_bills(shop, DAY) if b["bill_id"] == bill_id)

    with Warehouse.open(warehouse_settings) as wh:
        for part, (begin, stop) in ((late, (cut, end)), (early, (start, cut))):
            batch = flatten_batch_bodies([ENCODE(part)], warehouse_settings.rule)
            assert batch.rejects == []
            unit = LoadUnit("qianhub", "batch-query", f"shop_id={shop}", DAY, begin, stop)
            wh.load(unit, batch, BATCH_ENTITIES)
        bill = wh.con.execute(
            "SELECT undo_index, paid, cashier_on FROM qianhub.bills WHERE bill_id = ?", [bill_id]
        ).fetchall()
        details = wh.con.execute(
            "SELECT count(*) FROM qianhub.bill_details WHERE bill_id = ?", [bill_id]
        ).fetchall()[0][0]
        payments = wh.con.execute(
            "SELECT count(*) FROM qianhub.bill_payments WHERE bill_id = ?", [bill_id]
        ).fetchall()[0][0]
        total = wh.con.execute("SELECT count(*) FROM qianhub.bills").fetchall()[0][0]
        kept = wh.con.execute(
            "SELECT undo_index, paid FROM qianhub.bill_versions WHERE bill_id = ? "
            "ORDER BY undo_index",
            [bill_id],
        ).fetchall()
        audit = wh.con.execute(
            "SELECT versions_seen, first_undo_index, last_undo_index, amount_before, "
            "amount_after FROM marts.recheckout_audit WHERE bill_id = ?",
            [bill_id],
        ).fetchall()

    assert bill == [
        (final["undo_index"], final["paid"], dt.datetime.fromisoformat(final["cashier_on"]))
    ]
    assert final["undo_index"] >= 1
    nodes = sum(_count_nodes(o["details"]) for o in final["orders"])
    assert details == nodes
    assert payments == len(final["payments"])
    assert total == len(e2e_world.final_bills(shop, DAY))
    # Every version stays in bill_versions, whatever order they arrived in.
    sent = sorted(
        {
            (r["json"]["undo_index"], r["json"]["paid"])
            for r in records
            if r["json"]["bill_id"] == bill_id
        }
    )
    assert kept == sent
    assert audit == [(len(sent), 0, final["undo_index"], sent[0][1], final["paid"])]


def test_lake_equals_duckdb_and_notices_a_difference(
    e2e_world: QianhubWorld, warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    shop = e2e_world.shop_ids()[1]
    start, end = warehouse_settings.rule.window(DAY)
    body = ENCODE(
        e2e_world.records(shop, ["cashier.finish", "handover.stat", "dayend.stat"], start, end)
    )
    with Warehouse.open(warehouse_settings) as wh:
        wh.load(
            LoadUnit("qianhub", "batch-query", f"shop_id={shop}", DAY, start, end),
            flatten_batch_bodies([body], warehouse_settings.rule),
            BATCH_ENTITIES,
        )
        tables = [t for spec in BATCH_ENTITIES for t in spec.tables]
        diffs = {t: lake_differences(wh.con, wh.lake_dir, t, "business_date") for t in tables}
    assert diffs == dict.fromkeys(tables, 0)
    with duckdb.connect(str(warehouse_settings.warehouse_path)) as con:
        con.execute("DELETE FROM qianhub.bill_payments WHERE line_no = 0")
        deleted = con.execute("SELECT count(*) FROM qianhub.bills").fetchall()[0][0]
        lake = warehouse_settings.lake_dir
        assert lake_differences(con, lake, "qianhub.bill_payments", "business_date") == deleted
        day = DAY.isoformat()
        assert (
            partition_differences(con, lake, "qianhub.bill_payments", "business_date", day)
            == deleted
        )
        assert partition_differences(con, lake, "qianhub.bills", "business_date", day) == 0
