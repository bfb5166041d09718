"""The asset graph, the job, the schedule: shape and behaviour, without running a load."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.definitions import POSPAL_JOB, QIANHUB_JOB, build_definitions
from dagster_project.schedules import lookback_partition_keys
from etl.config import WarehouseSettings

POSPAL_TABLES = [
    "customer_tickets",
    "order_items",
    "orders",
    "pay_methods",
    "refund_links",
    "ticket_item_attributes",
    "ticket_items",
    "ticket_payments",
    "tickets",
]
BATCH_TABLES = [
    "bill_details",
    "bill_discounts",
    "bill_orders",
    "bill_payments",
    "bill_promotions",
    "bill_versions",
    "bills",
    "dayend_stat_lines",
    "dayend_stats",
    "delivery_order_items",
    "delivery_order_promotions",
    "delivery_orders",
    "handover_stat_lines",
    "handover_stats",
]
MARTS = [
    "daily_sales",
    "delivery_channels",
    "hourly_traffic",
    "payment_mix",
    "recheckout_audit",
    "refunds_and_voids",
    "stores",
    "top_goods",
]


def test_asset_graph_snapshot() -> None:
    defs = build_definitions(WarehouseSettings())
    graph = defs.resolve_asset_graph()
    keys = sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    assert keys == sorted(
        [f"qianhub/{t}" for t in BATCH_TABLES]
        + ["qianhub/shops"]
        + [f"pospal/{t}" for t in POSPAL_TABLES]
        + ["pospal/push_events"]
        + [f"marts/{m}" for m in MARTS]
        + ["reports/daily_report"]
        + ["whale/make_code_notifications", "whale/verify_notifications"]
    )
    for table in BATCH_TABLES:
        node = graph.get(dg.AssetKey(["qianhub", table]))
        assert node.parent_keys == {dg.AssetKey(["qianhub", "shops"])}
        assert node.group_name == "qianhub"
        assert node.description and node.description.startswith("One row per")
        assert node.partitions_def is not None
    for table in POSPAL_TABLES:
        node = graph.get(dg.AssetKey(["pospal", table]))
        assert node.group_name == "pospal"
        assert node.description and node.description.startswith("One row per")
        assert isinstance(node.partitions_def, dg.MultiPartitionsDefinition)
    for mart in MARTS:
        node = graph.get(dg.AssetKey(["marts", mart]))
        assert node.group_name == "marts"
        assert node.description and node.description.startswith("One row per")
        assert node.partitions_def is None
        assert node.automation_condition is not None
        # The UI's column list comes from the view's own comments.
        schema = node.metadata["dagster/column_schema"]
        assert schema.columns[0].name == "vendor"
        assert all(column.description for column in schema.columns)
    assert (
        dg.AssetKey(["qianhub", "bill_versions"])
        in graph.get(dg.AssetKey(["marts", "recheckout_audit"])).parent_keys
    )
    report = graph.get(dg.AssetKey(["reports", "daily_report"]))
    assert dg.AssetKey(["marts", "daily_sales"]) in report.parent_keys
    assert report.partitions_def is not None
    bills = graph.get(dg.AssetKey(["qianhub", "bills"])).metadata["dagster/column_schema"]
    assert bills.columns[0].name == "bill_id" and bills.columns[0].type == "BIGINT"
    checks = sorted((c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys)
    assert checks == [
        ("marts/daily_sales", "reconciles_with_pospal_payments"),
        ("marts/daily_sales", "reconciles_with_qianhub_dayend"),
        ("pospal/ticket_items", "no_orphan_children"),
        ("pospal/tickets", "lake_matches_duckdb"),
        ("pospal/tickets", "unique_keys"),
        ("pospal/tickets", "voids_returns_consistent"),
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
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QIANHUB_", "POS_WAREHOUSE_", "POSPAL_"))
    }
    code = (
        "from dagster_project.definitions import defs\n"
        "import dagster as dg\n"
        "d = defs() if callable(defs) else defs\n"
        # What dagster-webserver does: name clashes between jobs, ops and assets fail here.
        "dg.Definitions.validate_loadable(d)\n"
        "print(len(list(d.resolve_asset_graph().get_all_asset_keys())))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == str(
        len(BATCH_TABLES) + 1 + len(POSPAL_TABLES) + 1 + len(MARTS) + 1 + 2
    )


def test_pospal_partitions_are_business_days_by_account() -> None:
    settings = WarehouseSettings(business_day_start="05:00", timezone="Asia/Shanghai")
    job = build_definitions(settings).resolve_job_def(POSPAL_JOB)
    partitions = job.partitions_def
    assert isinstance(partitions, dg.MultiPartitionsDefinition)
    dims = {d.name: d.partitions_def for d in partitions.partitions_defs}
    assert set(dims) == {"date", "account"}
    assert isinstance(dims["account"], dg.DynamicPartitionsDefinition)
    assert dims["account"].name == "pospal_accounts"
    date = dims["date"]
    assert isinstance(date, dg.DailyPartitionsDefinition)
    window = date.time_window_for_partition_key("2026-11-01")
    assert window.start.isoformat() == "2026-11-01T05:00:00+08:00"


def _pospal_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, names: list[str]) -> None:
    for var in list(os.environ):
        if var.startswith("POSPAL_"):
            monkeypatch.delenv(var)
    tables = []
    for i, name in enumerate(names):
        monkeypatch.setenv(f"KEY_{i}", f"secret-key-{i}")
        tables.append(
            f'[[accounts]]\nname = "{name}"\nbase_url = "http://127.0.0.1:9"\n'
            f'app_id = "APP{i}"\napp_key_env = "KEY_{i}"\n'
        )
    accounts = tmp_path / "accounts.toml"
    accounts.write_text("\n".join(tables))
    monkeypatch.setenv("POSPAL_ACCOUNTS_FILE", str(accounts))


def test_pospal_nightly_schedule_registers_accounts_and_runs_each_account_day(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _pospal_env(monkeypatch, tmp_path, ["store-a", "store-b"])
    defs = build_definitions(WarehouseSettings(lookback_days=2))
    schedule = defs.resolve_schedule_def(f"{POSPAL_JOB}_nightly")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=dt.datetime(2026, 11, 21, 23, 0, tzinfo=dt.UTC),
            repository_def=defs.get_repository_def(),
        )
        requests = list(schedule.evaluate_tick(context).run_requests or [])
        assert instance.get_dynamic_partitions("pospal_accounts") == ["store-a", "store-b"]
    assert [r.partition_key for r in requests] == [
        f"{account}|{day}"
        for account in ("store-a", "store-b")
        for day in ("2026-11-19", "2026-11-20", "2026-11-21")
    ]
    assert len({r.run_key for r in requests}) == 6
    # Nothing secret in what the schedule hands to Dagster.
    assert "secret-key" not in repr(requests)


def test_pospal_schedule_and_sensor_skip_with_the_reason_when_not_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _pospal_env(monkeypatch, tmp_path, [])
    monkeypatch.delenv("POSPAL_ACCOUNTS_FILE")
    monkeypatch.chdir(tmp_path)  # no .env either
    defs = build_definitions(WarehouseSettings())
    schedule = defs.resolve_schedule_def(f"{POSPAL_JOB}_nightly")
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2026, 11, 21, 23, 0, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )
    tick = schedule.evaluate_tick(context)
    assert not tick.run_requests
    assert tick.skip_message and "no Pospal account configured" in tick.skip_message
    sensor = defs.resolve_sensor_def("pospal_accounts")
    sensor_tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert sensor_tick.skip_message and "POSPAL_ACCOUNTS_FILE" in sensor_tick.skip_message


def test_pospal_accounts_sensor_adds_only_new_accounts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _pospal_env(monkeypatch, tmp_path, ["store-a", "store-b"])
    defs = build_definitions(WarehouseSettings())
    sensor = defs.resolve_sensor_def("pospal_accounts")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("pospal_accounts", ["store-a"])
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    (request,) = tick.dynamic_partitions_requests or []
    assert list(request.partition_keys or []) == ["store-b"]
