"""Disk full in the middle of a Parquet rewrite: the old partition file stays whole, no temp
file is left, the DuckDB unit stays committed (and is reported so, with ``lake_pending``) with
its partition still marked dirty, and the next open (disk freed) brings the lake level with
DuckDB."""

from __future__ import annotations

import datetime as dt
import errno
import logging
from pathlib import Path
from typing import Any

import msgspec
import pyarrow.parquet as pq
import pytest

from etl.config import WarehouseSettings
from etl.flatten.qianhub import BATCH_ENTITIES, flatten_batch_bodies
from etl.simulator import QianhubWorld
from etl.warehouse import LoadResult, LoadUnit, Warehouse
from etl.warehouse.lake_check import lake_differences
from etl.warehouse.lake_files import partition_file

DAY = dt.date(2026, 11, 5)
ENCODE = msgspec.json.Encoder(decimal_format="number").encode


def _load(wh: Warehouse, world: QianhubWorld, shop: int, settings: WarehouseSettings) -> LoadResult:
    start, end = settings.rule.window(DAY)
    records = world.records(shop, ["cashier.finish", "dayend.stat"], start, end)
    batch = flatten_batch_bodies([ENCODE(records)], settings.rule)
    unit = LoadUnit("qianhub", "batch-query", f"shop_id={shop}", DAY, start, end)
    return wh.load(unit, batch, BATCH_ENTITIES)


def test_disk_full_during_a_rewrite_keeps_the_old_partition(
    e2e_world: QianhubWorld,
    warehouse_settings: WarehouseSettings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = e2e_world.shop_ids()[:2]
    bills = partition_file(warehouse_settings.lake_dir, "qianhub.bills", "business_date", str(DAY))
    with Warehouse.open(warehouse_settings) as wh:
        _load(wh, e2e_world, first, warehouse_settings)
    before = bills.read_bytes()

    real_write = pq.ParquetWriter.write_batch

    def disk_full(writer: pq.ParquetWriter, batch: Any, **kwargs: Any) -> None:
        real_write(writer, batch.slice(0, 1), **kwargs)  # a partial file, then no space left
        raise OSError(errno.ENOSPC, "No space left on device")

    with Warehouse.open(warehouse_settings) as wh:
        monkeypatch.setattr(pq.ParquetWriter, "write_batch", disk_full)
        with caplog.at_level(logging.ERROR):
            # Committed, so not reported as a failed unit; the lake is left for the next sync.
            result = _load(wh, e2e_world, second, warehouse_settings)
        monkeypatch.setattr(pq.ParquetWriter, "write_batch", real_write)
        assert result.lake_pending and result.rows["qianhub.bills"] > 0
        assert "lake rewrite failed, kept for the next sync: [Errno 28]" in caplog.text
        shops = wh.con.execute(
            "SELECT count(DISTINCT shop_id) FROM qianhub.bills WHERE business_date = ?", [DAY]
        ).fetchall()
        dirty = wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall()
        assert bills.read_bytes() == before  # the old partition, whole
        assert list(Path(warehouse_settings.lake_dir).rglob("*.tmp")) == []
    assert shops == [(2,)]  # the unit itself committed in DuckDB
    assert dirty[0][0] > 0  # and its partitions are still marked for rewriting

    with Warehouse.open(warehouse_settings) as wh:  # disk freed: the open finishes the job
        tables = [t for spec in BATCH_ENTITIES for t in spec.tables]
        diffs = {t: lake_differences(wh.con, wh.lake_dir, t, "business_date") for t in tables}
        dirty_after = wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall()
    assert diffs == dict.fromkeys(tables, 0)
    assert dirty_after == [(0,)]
    assert bills.read_bytes() != before


def test_disk_full_at_the_end_of_a_deferred_block_keeps_the_units(
    e2e_world: QianhubWorld,
    warehouse_settings: WarehouseSettings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A day's load rewrites the lake once at its end (``lake_deferred``): disk full then
    loses no unit and raises nothing; the marks wait for the next sync."""
    shops = e2e_world.shop_ids()[:2]

    def disk_full(writer: pq.ParquetWriter, batch: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with Warehouse.open(warehouse_settings) as wh:
        monkeypatch.setattr(pq.ParquetWriter, "write_batch", disk_full)
        with caplog.at_level(logging.ERROR), wh.lake_deferred():
            results = [_load(wh, e2e_world, shop, warehouse_settings) for shop in shops]
        monkeypatch.undo()
        assert [r.lake_pending for r in results] == [False, False]  # not synced per unit
        assert "the units of this block committed; lake rewrite failed" in caplog.text
        ((loaded,),) = wh.con.execute(
            "SELECT count(DISTINCT shop_id) FROM qianhub.bills WHERE business_date = ?", [DAY]
        ).fetchall()
        assert loaded == 2
        assert wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall()[0][0] > 0
        assert list(Path(warehouse_settings.lake_dir).rglob("*.tmp")) == []
    with Warehouse.open(warehouse_settings) as wh:  # the next open finishes the lake
        diff = lake_differences(wh.con, wh.lake_dir, "qianhub.bills", "business_date")
    assert diff == 0
