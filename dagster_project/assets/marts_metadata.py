"""Metadata and check results for the marts: row counts, dates covered, a preview of the
newest rows, and the reconciliation of daily_sales with each vendor's own totals."""

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import dagster as dg
import duckdb

from dagster_project.assets.marts_specs import POSPAL_RECONCILED, QIANHUB_RECONCILED, key
from dagster_project.assets.previews import markdown_table, newest_rows
from etl.quality.marts import Reconciliation, reconcile
from etl.warehouse.connection import scalar
from etl.warehouse.upsert import q

MISMATCHES_SHOWN = 20


def mart_metadata(con: duckdb.DuckDBPyConnection, mart: str) -> dict[str, Any]:
    view = f"marts.{mart}"
    rows = int(scalar(con, f"SELECT count(*) FROM {q(view)}"))
    metadata: dict[str, Any] = {"dagster/row_count": rows}
    columns = [c[0] for c in con.execute(f"DESCRIBE {q(view)}").fetchall()]
    order = "vendor, store_id"
    if "business_date" in columns:
        first, last = con.execute(
            f"SELECT min(business_date), max(business_date) FROM {q(view)}"
        ).fetchall()[0]
        metadata["first_business_date"] = str(first)
        metadata["last_business_date"] = str(last)
        order = "business_date DESC, vendor, store_id"
    metadata["preview"] = dg.MetadataValue.md(newest_rows(con, view, order_by=order))
    return metadata


def materializations(con: duckdb.DuckDBPyConnection, marts: list[str]) -> Iterator[Any]:
    for mart in marts:
        yield dg.MaterializeResult(asset_key=key(mart), metadata=mart_metadata(con, mart))


def _check(spec: dg.AssetCheckSpec, found: list[Reconciliation], extra: dict[str, Any]) -> Any:
    mismatched = [r for r in found if not r.matches]
    shown = mismatched[:MISMATCHES_SHOWN]
    metadata: dict[str, Any] = {
        "store_days_compared": len(found),
        "store_days_mismatched": len(mismatched),
        "net_sales_difference_total": str(sum(r.difference or 0 for r in mismatched)),
        **extra,
    }
    if shown:
        table = [r.as_row() for r in shown]
        metadata["mismatches"] = dg.MetadataValue.md(markdown_table(Reconciliation.COLUMNS, table))
    return dg.AssetCheckResult(
        check_name=spec.name,
        asset_key=spec.asset_key,
        passed=not mismatched,
        metadata=metadata,
        description=None if not mismatched else "; ".join(r.describe() for r in shown[:3]),
    )


def check_results(
    con: duckdb.DuckDBPyConnection, selected: AbstractSet[dg.AssetCheckKey]
) -> Iterator[Any]:
    if QIANHUB_RECONCILED.key in selected:
        yield _qianhub_check(con)
    if POSPAL_RECONCILED.key in selected:
        yield _check(POSPAL_RECONCILED, reconcile(con, "pospal"), {})


def _qianhub_check(con: duckdb.DuckDBPyConnection) -> Any:
    qianhub = reconcile(con, "qianhub")
    qianhub_days = int(
        scalar(con, "SELECT count(*) FROM marts.daily_sales WHERE vendor = 'qianhub'")
    )
    return _check(
        QIANHUB_RECONCILED,
        qianhub,
        # A day whose day-end has not been run (or loaded) yet cannot be compared.
        {"store_days_without_dayend": max(0, qianhub_days - len(qianhub))},
    )
