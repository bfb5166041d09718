"""Metadata and check results for the Pospal assets: row counts, rejects, window, quota use,
preview. Never secrets: only warehouse contents, counts and the account's name and appId."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.assets.pospal_specs import (
    LAKE_CHECK,
    NO_ORPHANS_CHECK,
    QUERY_TABLES,
    UNIQUE_KEYS_CHECK,
    VOIDS_RETURNS_CHECK,
    key,
)
from dagster_project.assets.previews import newest_rows
from etl.flatten.pospal import POSPAL_ENTITIES
from etl.pipeline.pospal import AccountDayResult
from etl.pospal.budget import CallBudget
from etl.pospal.settings import PospalAccount
from etl.quality.checks import duplicate_keys, orphans
from etl.quality.pospal import UNDATED_KEYS, UNIQUE_KEYS, voids_returns_problems
from etl.warehouse import Warehouse
from etl.warehouse.connection import scalar
from etl.warehouse.lake_check import partition_differences
from etl.warehouse.upsert import q


def quota_metadata(budget: CallBudget, account: PospalAccount, used_before: int) -> dict[str, Any]:
    """The account's calls today (vendor day, Asia/Shanghai) and what this run spent."""
    used = budget.used(account.app_id)
    return {
        "quota_calls_this_run": used - used_before,
        "quota_used_today": used,
        "quota_remaining_today": budget.remaining(account.app_id),
        "quota_daily_limit": budget.limit,
    }


def _partition(table: str, account: str, day: dt.date) -> tuple[str, list[object]]:
    """The WHERE clause and parameters of one account-day (pay methods have no date)."""
    if table == "pay_methods":
        return "account = ?", [account]
    return "account = ? AND business_date = ?", [account, day]


def _rows(wh: Warehouse, table: str, account: str, day: dt.date) -> int:
    where, params = _partition(table, account, day)
    return int(scalar(wh.con, f"SELECT count(*) FROM {q('pospal.' + table)} WHERE {where}", params))


def materializations(
    wh: Warehouse,
    result: AccountDayResult,
    window: tuple[dt.datetime, dt.datetime],
    quota: dict[str, Any],
) -> Iterator[dg.MaterializeResult[Any]]:
    """One result per table whose query finished (all of them unless the quota cut the run)."""
    written = result.rows()
    day, account = result.business_date, result.account
    for query in result.finished:
        for table in QUERY_TABLES[query]:
            rows = _rows(wh, table, account, day)
            where, params = _partition(table, account, day)
            metadata: dict[str, Any] = {
                "dagster/row_count": rows,
                "rows_in_partition": rows,
                "rows_written": written.get(f"pospal.{table}", 0),
                # BusinessDayRule.window is half-open: the day start belongs to this day.
                "window": f"[{window[0]:%Y-%m-%d %H:%M:%S}, {window[1]:%Y-%m-%d %H:%M:%S}) "
                "store-local",
                "preview": dg.MetadataValue.md(
                    newest_rows(wh.con, f"pospal.{table}", where=where, params=params)
                ),
            }
            if table == "tickets":
                metadata["rejects"] = result.rejects
                metadata.update(quota)
            yield dg.MaterializeResult(asset_key=key(table), metadata=metadata)


def check_results(wh: Warehouse, day: dt.date, account: str) -> Iterator[dg.AssetCheckResult]:
    """The checks of an account-day: keys, orphans and voids over the whole business date (every
    account's rows), the lake over this account's files of it (the ones its run rewrote)."""
    dupes = duplicate_keys(wh.con, UNIQUE_KEYS, business_date=day)
    dupes.update(duplicate_keys(wh.con, UNDATED_KEYS, partition_column=None))
    yield dg.AssetCheckResult(
        check_name=UNIQUE_KEYS_CHECK.name,
        asset_key=UNIQUE_KEYS_CHECK.asset_key,
        passed=not any(dupes.values()),
        metadata=dict(dupes),
    )
    orphan_counts: dict[str, int] = {}
    for spec in POSPAL_ENTITIES:
        if spec.partition_column is not None:
            orphan_counts.update(orphans(wh.con, spec, business_date=day))
    yield dg.AssetCheckResult(
        check_name=NO_ORPHANS_CHECK.name,
        asset_key=NO_ORPHANS_CHECK.asset_key,
        passed=not any(orphan_counts.values()),
        metadata=orphan_counts,
    )
    problems = voids_returns_problems(wh.con, day)
    yield dg.AssetCheckResult(
        check_name=VOIDS_RETURNS_CHECK.name,
        asset_key=VOIDS_RETURNS_CHECK.asset_key,
        passed=not any(problems.values()),
        metadata=problems,
    )
    lake = {
        table: partition_differences(
            wh.con,
            wh.lake_dir,
            table,
            spec.partition_column,
            day.isoformat(),
            spec.file_column,
            account if spec.file_column else None,
        )
        for spec in POSPAL_ENTITIES
        if spec.partition_column is not None
        for table in spec.tables
    }
    yield dg.AssetCheckResult(
        check_name=LAKE_CHECK.name,
        asset_key=LAKE_CHECK.asset_key,
        passed=not any(lake.values()),
        metadata={f"{t} rows differing": n for t, n in lake.items()},
    )


def quota_summary(result: AccountDayResult) -> str:
    return (
        f"Pospal account {result.account}, business date {result.business_date}: the daily "
        f"call quota is spent ({result.quota_error}). Landed: "
        f"{', '.join(result.loaded) or 'nothing'}; left to fetch: {', '.join(result.left)}. "
        "Nothing is half-written; re-run this partition after the vendor's midnight "
        "(Asia/Shanghai) and it finishes."
    )
