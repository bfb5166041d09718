"""A Pospal (date × account) partition materialised with ``dg.materialize`` against the
simulator: tables, metadata with quota use, checks; and a quota cut that fails the partition
with what is left while keeping what landed."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.assets.pospal import build_pospal_assets
from dagster_project.partitions import POSPAL_ACCOUNTS, pospal_key, pospal_partitions
from dagster_project.resources import PospalResource, WarehouseResource
from etl.config import WarehouseSettings
from etl.simulator import FaultConfig, PospalSimulator, PospalWorld

DAY = "2026-11-02"
ACCOUNT = "store-1"


@pytest.fixture
def world(warehouse_settings: WarehouseSettings) -> PospalWorld:
    as_of = dt.datetime(2026, 11, 4, 12, 0)
    return PospalWorld(seed=99, stores=1, rule=warehouse_settings.rule, as_of=as_of, members=40)


@pytest.fixture
def simulator(world: PospalWorld) -> Iterator[PospalSimulator]:
    with PospalSimulator(
        world, accounts=world.accounts(), faults=FaultConfig.parse("malformed=0.05")
    ) as sim:
        yield sim


def _configure(
    monkeypatch: pytest.MonkeyPatch, sim: PospalSimulator, world: PospalWorld, tmp_path: Path
) -> tuple[str, str]:
    for var in list(os.environ):
        if var.startswith("POSPAL_"):
            monkeypatch.delenv(var)
    ((app_id, key),) = world.accounts().items()
    monkeypatch.setenv("POSPAL_ACCOUNT_NAME", ACCOUNT)
    monkeypatch.setenv("POSPAL_BASE_URL", sim.url)
    monkeypatch.setenv("POSPAL_APP_ID", app_id)
    monkeypatch.setenv("POSPAL_APP_KEY", key)
    monkeypatch.setenv("POSPAL_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("POSPAL_BUDGET_FILE", str(tmp_path / "budget.sqlite"))
    return app_id, key


def _materialize(settings: WarehouseSettings) -> dg.ExecuteInProcessResult:
    instance = dg.DagsterInstance.ephemeral()
    assert POSPAL_ACCOUNTS.name
    instance.add_dynamic_partitions(POSPAL_ACCOUNTS.name, [ACCOUNT])
    return dg.materialize(
        build_pospal_assets(pospal_partitions(settings)),
        partition_key=pospal_key(DAY, ACCOUNT),
        resources={
            "warehouse": WarehouseResource(home=str(settings.home)),
            "pospal": PospalResource(),
        },
        instance=instance,
        raise_on_error=False,
    )


def test_account_day_materialises_tables_quota_metadata_and_checks(
    monkeypatch: pytest.MonkeyPatch,
    simulator: PospalSimulator,
    world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    app_id, key = _configure(monkeypatch, simulator, world, tmp_path)
    result = _materialize(warehouse_settings)
    assert result.success
    expected = world.tickets(app_id, dt.date.fromisoformat(DAY))
    materialized = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.asset_materializations_for_node("pospal_account_day")
    }
    assert len(materialized) == 9
    tickets = materialized["pospal/tickets"]
    assert tickets["rows_in_partition"].value == len(expected)
    assert tickets["rejects"].value > 0  # malformed copies, the real ticket still loaded
    calls = sum(simulator.stats.quota_used.values())
    assert tickets["quota_calls_this_run"].value == calls
    assert tickets["quota_used_today"].value == calls
    assert tickets["quota_remaining_today"].value == 300 - 10 - calls
    assert "| sn |" in tickets["preview"].value
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "unique_keys": True,
        "no_orphan_children": True,
        "voids_returns_consistent": True,
        "lake_matches_duckdb": True,
    }
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        sns = con.execute(
            "SELECT sn, uid FROM pospal.tickets WHERE account = ? AND business_date = ? "
            "ORDER BY sn",
            [ACCOUNT, DAY],
        ).fetchall()
    assert sns == sorted((str(t["sn"]), int(t["uid"])) for t in expected)
    assert all(key not in str(m) for m in materialized.values())


def test_quota_cut_fails_the_partition_naming_what_is_left_and_keeps_what_landed(
    monkeypatch: pytest.MonkeyPatch,
    simulator: PospalSimulator,
    world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    _configure(monkeypatch, simulator, world, tmp_path)
    # pay methods + ticket pages + order pages fit; the members' histories do not.
    monkeypatch.setenv("POSPAL_DAILY_QUOTA", "8")
    monkeypatch.setenv("POSPAL_QUOTA_RESERVE", "0")
    result = _materialize(warehouse_settings)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    data = failure.step_failure_data
    description = data.user_failure_data.description if data.user_failure_data else ""
    assert description and "quota is spent" in description
    assert "left to fetch: history of" in description
    done = {
        m.asset_key.to_user_string()
        for m in result.asset_materializations_for_node("pospal_account_day")
    }
    assert "pospal/tickets" in done and "pospal/customer_tickets" not in done
    # The next day's budget finishes it: same partition, the rest of the members.
    monkeypatch.setenv("POSPAL_DAILY_QUOTA", "300")
    assert _materialize(warehouse_settings).success
