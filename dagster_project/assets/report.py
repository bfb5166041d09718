"""The daily report: one self-contained HTML page per business date, from the marts
(``etl.report``). The nightly ``daily_report`` schedule writes yesterday's."""

import datetime as dt
from typing import Any

import dagster as dg

from dagster_project.assets.marts_specs import key as mart_key
from dagster_project.resources import WarehouseResource
from etl.report import ReportError, write_report

REPORT_KEY = dg.AssetKey(["reports", "daily_report"])
REPORT_MARTS = (
    "daily_sales",
    "payment_mix",
    "top_goods",
    "hourly_traffic",
    "refunds_and_voids",
    "recheckout_audit",
)


def build_report_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT_KEY,
        deps=[mart_key(m) for m in REPORT_MARTS],
        partitions_def=partitions,
        group_name="reports",
        kinds={"html"},
        owners=["team:analytics"],
        pool="duckdb",
        description="One HTML page per business date (all stores): headline figures with "
        "week-on-week change, sales by store and by hour, payment mix, top goods, refunds, "
        "voids and re-checkouts. Self-contained (charts inlined), written to "
        "$POS_WAREHOUSE_HOME/reports/daily-report-<date>.html.",
    )
    def daily_report(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult[Any]:
        day = dt.date.fromisoformat(context.partition_key)
        out_dir = warehouse.settings().home / "reports"
        with warehouse.open() as wh:
            try:
                path = write_report(wh.con, day, out_dir)
            except ReportError as exc:
                # No sales on the date means its loads have not landed: say so, fail the run.
                raise dg.Failure(description=str(exc)) from exc
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "bytes": path.stat().st_size,
            }
        )

    return daily_report
