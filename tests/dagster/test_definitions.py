"""The asset graph, the job, the schedule: shape and behaviour, without running a load."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import dagster as dg

from dagster_project.definitions import QIANHUB_JOB, build_definitions
from dagster_project.schedules import lookback_partition_keys
from etl.config import WarehouseSettings

BATCH_TABLES = [
    "bill_details",
    "bill_discounts",
    "bill_orders",
    "bill_payments",
    "bill_promotions",
    "bills",
    "dayend_stat_lines",
    "dayend_stats",
    "handover_stat_lines",
    "handover_stats",
]


def test_asset_graph_snapshot() -> None:
    defs = build_definitions(WarehouseSettings())
    graph = defs.resolve_asset_graph()
    keys = sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    assert keys == sorted([f"qianhub/{t}" for t in BATCH_TABLES] + ["qianhub/shops"])
    for table in BATCH_TABLES:
        node = graph.get(dg.AssetKey(["qianhub", table]))
        assert node.parent_keys == {dg.AssetKey(["qianhub", "shops"])}
        assert node.group_name == "qianhub"
        assert node.description and node.description.startswith("One row per")
        assert node.partitions_def is not None
    checks = sorted((c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys)
    assert checks == [
        ("qianhub/bill_details", "no_orphan_children"),
        ("qianhub/bills", "lake_matches_duckdb"),
        ("qianhub/bills", "unique_keys"),
        ("qianhub/dayend_stats", "bill_totals_match_dayend"),
    ]


def test_partitions_are_business_days_in_shop_time() -> None:
    settings = WarehouseSettings(business_day_start="06:00", timezone="Asia/Shanghai")
    job = build_definitions(settings).resolve_job_def(QIANHUB_JOB)
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.timezone == "Asia/Shanghai"
    assert (partitions.hour_offset, partitions.minute_offset) == (6, 0)
    window = partitions.time_window_for_partition_key("2026-11-01")
    assert window.start.isoformat() == "2026-11-01T06:00:00+08:00"
    assert window.end.isoformat() == "2026-11-02T06:00:00+08:00"


def test_nightly_schedule_loads_yesterday_and_lookback() -> None:
    settings = WarehouseSettings(lookback_days=3)
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def(f"{QIANHUB_JOB}_nightly")
    assert schedule.cron_schedule == "0 7 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    # 07:00 on 22 Nov in Shanghai is 23:00 UTC on the 21st.
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 21, 23, 0, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests] == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
    ]
    assert lookback_partition_keys(dt.date(2026, 11, 21), 0) == ["2026-11-21"]


def test_definitions_load_offline_with_no_environment() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QIANHUB_", "POS_WAREHOUSE_"))}
    code = (
        "import time; t = time.perf_counter()\n"
        "from dagster_project.definitions import defs\n"
        "import dagster as dg\n"
        "d = defs() if callable(defs) else defs\n"
        "print(len(list(d.resolve_asset_graph().get_all_asset_keys())))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "11"
