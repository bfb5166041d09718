"""Metadata and check results for the QianHub assets: row counts, rejects, window, preview.
Never secrets: only warehouse contents and counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.assets.previews import newest_rows
from dagster_project.assets.qianhub_specs import (
    DAYEND_CHECK,
    LAKE_CHECK,
    NO_ORPHANS_CHECK,
    TABLES,
    UNIQUE_KEYS_CHECK,
    key,
)
from etl.flatten.qianhub import BATCH_ENTITIES
from etl.pipeline.qianhub import DayResult
from etl.quality.checks import duplicate_keys, orphans
from etl.quality.qianhub import UNIQUE_KEYS, dayend_totals
from etl.sql_files import read_sql
from etl.warehouse import Warehouse
from etl.warehouse.connection import scalar
from etl.warehouse.lake_check import partition_differences
from etl.warehouse.upsert import q


def listed_shops(wh: Warehouse) -> list[int]:
    """Shops in the newest committed ``list-shop`` load (a shop the vendor stopped listing
    keeps its row in qianhub.shops but is no longer queried)."""
    rows = wh.con.execute(read_sql("queries/qianhub_listed_shops.sql")).fetchall()
    return [int(r[0]) for r in rows]


def _partition_rows(wh: Warehouse, table: str, day: dt.date) -> int:
    return int(
        scalar(
            wh.con, f"SELECT count(*) FROM {q('qianhub.' + table)} WHERE business_date = ?", [day]
        )
    )


def materializations(
    wh: Warehouse, result: DayResult, window: tuple[dt.datetime, dt.datetime]
) -> Iterator[dg.MaterializeResult[Any]]:
    written = result.rows()
    day = result.business_date
    for table in TABLES:
        rows = _partition_rows(wh, table, day)
        metadata: dict[str, Any] = {
            "dagster/row_count": rows,
            "rows_in_partition": rows,
            "rows_written": written.get(f"qianhub.{table}", 0),
            "window": f"[{window[0]:%Y-%m-%d %H:%M}, {window[1]:%Y-%m-%d %H:%M}) shop-local",
            "shops_loaded": len(result.loaded),
            "shops_failed": len(result.failures),
        }
        metadata["preview"] = dg.MetadataValue.md(
            newest_rows(wh.con, f"qianhub.{table}", where="business_date = ?", params=[day])
        )
        if table == "bills":
            metadata["rejects"] = result.rejects
        yield dg.MaterializeResult(asset_key=key(table), metadata=metadata)


def check_results(wh: Warehouse, day: dt.date) -> Iterator[dg.AssetCheckResult]:
    dupes = duplicate_keys(wh.con, UNIQUE_KEYS, business_date=day)
    yield dg.AssetCheckResult(
        check_name=UNIQUE_KEYS_CHECK.name,
        asset_key=UNIQUE_KEYS_CHECK.asset_key,
        passed=not any(dupes.values()),
        metadata={t: n for t, n in dupes.items()},
    )
    orphan_counts: dict[str, int] = {}
    for spec in BATCH_ENTITIES:
        orphan_counts.update(orphans(wh.con, spec, business_date=day))
    yield dg.AssetCheckResult(
        check_name=NO_ORPHANS_CHECK.name,
        asset_key=NO_ORPHANS_CHECK.asset_key,
        passed=not any(orphan_counts.values()),
        metadata={t: n for t, n in orphan_counts.items()},
    )
    lake = {
        table: partition_differences(wh.con, wh.lake_dir, table, "business_date", day.isoformat())
        for spec in BATCH_ENTITIES
        for table in spec.tables
    }
    yield dg.AssetCheckResult(
        check_name=LAKE_CHECK.name,
        asset_key=LAKE_CHECK.asset_key,
        passed=not any(lake.values()),
        metadata={f"{t} rows differing": n for t, n in lake.items()},
    )
    comparisons = dayend_totals(wh.con, day)
    mismatched = [c for c in comparisons if not c.matches]
    yield dg.AssetCheckResult(
        check_name=DAYEND_CHECK.name,
        asset_key=DAYEND_CHECK.asset_key,
        passed=not mismatched,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "shops_compared": len(comparisons),
            "shops_mismatched": [str(c.shop_id) for c in mismatched],
            "paid_difference": {str(c.shop_id): str(c.paid_difference) for c in mismatched},
        },
    )


def failure_summary(result: DayResult, shops: int) -> str:
    lines = [
        f"{len(result.failures)} of {shops} QianHub shops failed for business date "
        f"{result.business_date} (the other {len(result.loaded)} landed):"
    ]
    lines += [f"- {failure}" for failure in result.failures]
    return "\n".join(lines)
