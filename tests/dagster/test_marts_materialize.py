"""The marts assets on the hand-checked warehouse of ``tests/marts``: row counts, previews and
the reconciliation checks, which fail with the difference in their metadata when a bill or a
ticket goes missing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.assets.marts import marts
from dagster_project.assets.report import build_report_asset
from dagster_project.partitions import business_day_partitions
from dagster_project.resources import WarehouseResource
from etl.config import WarehouseSettings
from etl.warehouse import Warehouse
from tests.marts.conftest import ACCOUNT, BILL_A, DAY, POSPAL_ROWS, QIANHUB_ROWS


@pytest.fixture
def hand_settings(tmp_path: Path) -> WarehouseSettings:
    settings = WarehouseSettings(home=tmp_path / "home")
    with Warehouse.open(settings) as wh:
        wh.con.execute(QIANHUB_ROWS)
        wh.con.execute(POSPAL_ROWS)
    return settings


def _materialize(settings: WarehouseSettings) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [marts],
        resources={"warehouse": WarehouseResource(home=str(settings.home))},
        instance=dg.DagsterInstance.ephemeral(),
    )


def test_marts_materialise_with_counts_previews_and_passing_checks(
    hand_settings: WarehouseSettings,
) -> None:
    result = _materialize(hand_settings)
    assert result.success
    metadata = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.asset_materializations_for_node("marts_views")
    }
    assert metadata["marts/daily_sales"]["dagster/row_count"].value == 2
    assert metadata["marts/recheckout_audit"]["dagster/row_count"].value == 1
    assert metadata["marts/daily_sales"]["last_business_date"].value == DAY
    # 19-digit ids reach the UI as text, exactly.
    assert "9000000000000000001" in metadata["marts/daily_sales"]["preview"].value
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert {name: c.passed for name, c in checks.items()} == {
        "reconciles_with_qianhub_dayend": True,
        "reconciles_with_pospal_payments": True,
    }
    assert checks["reconciles_with_qianhub_dayend"].metadata["store_days_compared"].value == 1


def test_reconciliation_checks_fail_with_the_difference(hand_settings: WarehouseSettings) -> None:
    with duckdb.connect(str(hand_settings.warehouse_path)) as con:
        con.execute("DELETE FROM qianhub.bills WHERE bill_id = ?", [BILL_A])
        con.execute("DELETE FROM pospal.tickets WHERE account = ? AND sn = 'S2'", [ACCOUNT])
    result = _materialize(hand_settings)
    assert result.success  # a failed check is reported, it does not fail the refresh
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    qianhub = checks["reconciles_with_qianhub_dayend"]
    assert not qianhub.passed
    assert qianhub.metadata["store_days_mismatched"].value == 1
    assert qianhub.metadata["net_sales_difference_total"].value == "-84.50"
    assert "| 2026-11-02 | 9000000000000000001 | 1 | 2 |" in qianhub.metadata["mismatches"].value
    pospal = checks["reconciles_with_pospal_payments"]
    assert not pospal.passed
    assert pospal.metadata["net_sales_difference_total"].value == "-88.00"


def test_report_asset_writes_the_days_page(hand_settings: WarehouseSettings) -> None:
    asset = build_report_asset(business_day_partitions(hand_settings))
    result = dg.materialize(
        [asset],
        partition_key=DAY,
        resources={"warehouse": WarehouseResource(home=str(hand_settings.home))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("reports__daily_report")
    path = Path(materialization.metadata["path"].value)
    assert path == hand_settings.home / "reports" / f"daily-report-{DAY}.html"
    page = path.read_text(encoding="utf-8")
    assert "一号店" in page and "123.00" in page and "142.50" in page

    empty = dg.materialize(
        [asset],
        partition_key=(dt.date.fromisoformat(DAY) + dt.timedelta(days=1)).isoformat(),
        resources={"warehouse": WarehouseResource(home=str(hand_settings.home))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not empty.success
