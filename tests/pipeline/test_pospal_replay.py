"""Replay of many Pospal account-days (stacked loads, one lake rewrite at the end) against the
load through the simulator that landed them: the same tables, the lake equal to DuckDB, one
log row per unit; a unit that fails inside a stack fails alone, after the units before it
have landed; and a replay killed inside a stack leaves every unit whole or absent, then
finishes on a re-run."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from etl.chaos.hooks import KILL_AT_ENV
from etl.config import WarehouseSettings
from etl.errors import LoadError
from etl.flatten.pospal import POSPAL_ENTITIES
from etl.pipeline import pospal as pipeline
from etl.pipeline import pospal_replay
from etl.pipeline.pospal_replay import replay_account_days
from etl.raw import RawStore
from etl.warehouse import Warehouse
from etl.warehouse.lake_check import lake_differences
from tests.pipeline.conftest import (
    DAYS,
    StartPospal,
    load_pospal,
    pospal_budget,
    pospal_snapshot,
    read_rows,
    small_world,
)

ACCOUNTS = ("store-1", "store-2")
PAIRS = [(day, account) for day in DAYS for account in ACCOUNTS]


@pytest.fixture
def landed(start_pospal: StartPospal, tmp_path: Path) -> WarehouseSettings:
    """A warehouse loaded through the simulator: two stores, both days, every unit landed."""
    settings = WarehouseSettings(home=tmp_path / "loaded")
    world = small_world(settings.rule, stores=2)
    simulator = start_pospal(world=world)
    results = load_pospal(simulator, settings, pospal_budget(tmp_path / "budget.sqlite"))
    assert all(r.complete for r in results)
    return settings


def replay_home(landed: WarehouseSettings, path: Path) -> WarehouseSettings:
    """An empty warehouse holding a copy of ``landed``'s raw landings."""
    settings = WarehouseSettings(home=path)
    shutil.copytree(landed.raw_dir, settings.raw_dir)
    return settings


def log_rows(settings: WarehouseSettings) -> list[tuple[str, str, str, str]]:
    rows = read_rows(
        settings,
        "SELECT endpoint, unit, coalesce(CAST(business_date AS VARCHAR), ''), status "
        "FROM meta.loads ORDER BY ALL",
    )
    return [tuple(row) for row in rows]


def test_a_stacked_replay_equals_the_load(landed: WarehouseSettings, tmp_path: Path) -> None:
    settings = replay_home(landed, tmp_path / "replayed")
    with Warehouse.open(settings) as wh:
        replayed = list(
            replay_account_days(
                wh,
                RawStore(settings.raw_dir),
                [*PAIRS, (DAYS[1], "store-9")],  # the last one never landed anything
                settings=settings,
                stack_records=100,
            )
        )
    assert replayed[-1] == (DAYS[1], "store-9", {})
    replayed.pop()
    assert [(day, account) for day, account, _ in replayed] == PAIRS
    assert pospal_snapshot(settings) == pospal_snapshot(landed)
    for spec in POSPAL_ENTITIES:
        for table in spec.tables:
            differences = read_lake(settings, table, spec.partition_column)
            assert differences == 0, table

    # One committed log row per unit the load committed, pay methods once per account.
    loaded = [row for row in log_rows(landed) if row[0] != pipeline.PAY_METHODS_ENDPOINT]
    again = [row for row in log_rows(settings) if row[0] != pipeline.PAY_METHODS_ENDPOINT]
    assert again == loaded
    pay = Counter(row[1] for row in log_rows(settings) if row[0] == pipeline.PAY_METHODS_ENDPOINT)
    assert pay == {f"account={account}": 1 for account in ACCOUNTS}
    histories = sum(row[0] == pipeline.HISTORY_ENDPOINT for row in loaded)
    assert histories >= 2  # the world's members bought on both days
    for day, account, results in replayed:
        names = list(results)
        assert names[:2] == [pipeline.TICKETS_ENDPOINT, pipeline.ORDERS_ENDPOINT], (day, account)
        assert results[pipeline.TICKETS_ENDPOINT].rows["pospal.tickets"] == 40

    # What each unit wrote: tickets and orders units as in the load; a member's history seen
    # from both stores is the same tickets, counted for the later unit of a stack only, so
    # the histories' rows add up to the table (the load counts them for both units).
    def written(
        settings: WarehouseSettings, endpoint: str
    ) -> dict[tuple[str, str], tuple[dict[str, int], list[str]]]:
        rows = read_rows(
            settings,
            "SELECT unit, CAST(business_date AS VARCHAR), rows_written, partitions_touched "
            "FROM meta.loads WHERE endpoint = ? AND status = 'committed'",
            [endpoint],
        )
        return {(unit, day): (json.loads(rows), touched) for unit, day, rows, touched in rows}

    for endpoint in (pipeline.TICKETS_ENDPOINT, pipeline.ORDERS_ENDPOINT):
        assert written(settings, endpoint) == written(landed, endpoint), endpoint
    history_rows = [
        counts.get("pospal.customer_tickets", 0)
        for counts, _ in written(settings, pipeline.HISTORY_ENDPOINT).values()
    ]
    ((stored,),) = read_rows(settings, "SELECT count(*) FROM pospal.customer_tickets")
    assert sum(history_rows) == stored

    # Stacks: several units share a transaction (one started_at), and there was more than one.
    started = read_rows(
        settings,
        "SELECT started_at, count(*) FROM meta.loads WHERE endpoint = ? GROUP BY 1",
        [pipeline.TICKETS_ENDPOINT],
    )
    assert len(started) >= 2
    assert max(count for _, count in started) >= 2


def read_lake(settings: WarehouseSettings, table: str, column: str | None) -> int:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return lake_differences(con, settings.lake_dir, table, column)


def test_account_days_replayed_one_at_a_time_equal_the_load(
    landed: WarehouseSettings, tmp_path: Path
) -> None:
    """One account-day per replay (what the replay did before stacks, with one worker) gives
    the same warehouse as the stacked replay of every pair."""
    settings = replay_home(landed, tmp_path / "one-by-one")
    raw = RawStore(settings.raw_dir)
    with Warehouse.open(settings) as wh:
        for pair in PAIRS:
            ((_, _, results),) = replay_account_days(wh, raw, [pair], settings=settings, workers=1)
            assert results[pipeline.TICKETS_ENDPOINT].rows["pospal.tickets"] == 40
    assert pospal_snapshot(settings) == pospal_snapshot(landed)


def test_a_bad_unit_in_a_stack_fails_alone(
    landed: WarehouseSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = replay_home(landed, tmp_path / "broken")
    bad_day, bad_account = DAYS[0], ACCOUNTS[1]
    account_day = pospal_replay._account_day  # the load units of flattened landings

    def breaking(
        raw: RawStore, account: str, day: dt.date, *args: Any
    ) -> pospal_replay._AccountDay:
        flattened = account_day(raw, account, day, *args)
        if (day, account) == (bad_day, bad_account):
            name, _, batch, _ = flattened.units[1]
            assert name == pipeline.ORDERS_ENDPOINT
            orders = batch.tables["orders"]
            column = pa.array([1] * orders.num_rows)
            batch.tables["orders"] = orders.append_column("no_such_column", column)
        return flattened

    monkeypatch.setattr(pospal_replay, "_account_day", breaking)
    yielded = []
    with (
        caplog.at_level(logging.WARNING, logger="etl.warehouse.store"),
        Warehouse.open(settings) as wh,
        pytest.raises(LoadError, match=f"account={bad_account}"),
    ):
        for day, account, _ in replay_account_days(
            wh, RawStore(settings.raw_dir), PAIRS, settings=settings
        ):
            yielded.append((day, account))
    # All four account-days went in one stack, which failed as a whole (nothing of it
    # committed); then account-day by account-day: the first whole and yielded, the bad one's
    # tickets landed and its orders failed (logged), nothing after it was started.
    assert "units loaded together failed, loading them one by one" in caplog.text
    assert yielded == [PAIRS[0]]
    first, bad = f"account={ACCOUNTS[0]}", f"account={bad_account}"
    date_text = DAYS[0].isoformat()
    main_units = [
        row
        for row in log_rows(settings)
        if row[1] in (first, bad) and row[0] != pipeline.PAY_METHODS_ENDPOINT
    ]
    assert main_units == [
        (pipeline.ORDERS_ENDPOINT, first, date_text, "committed"),
        (pipeline.ORDERS_ENDPOINT, bad, date_text, "failed"),
        (pipeline.TICKETS_ENDPOINT, first, date_text, "committed"),
        (pipeline.TICKETS_ENDPOINT, bad, date_text, "committed"),
    ]
    histories = {row[1].split("+")[0] for row in log_rows(settings) if "+customer=" in row[1]}
    assert histories == {first}
    rows = read_rows(settings, "SELECT account, count(*) FROM pospal.tickets GROUP BY 1 ORDER BY 1")
    assert rows == [(ACCOUNTS[0], 40), (bad_account, 40)]


ROOT = Path(__file__).resolve().parents[2]


def run_victim(home: Path, *, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_WAREHOUSE_")}
    env["PYTHONPATH"] = str(ROOT)
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    command = [sys.executable, "-m", "tests.pipeline.pospal_replay_victim", str(home), "100"]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def unit_rows(settings: WarehouseSettings, table: str, account: str, day: dt.date) -> list[Any]:
    return read_rows(
        settings,
        f"SELECT * EXCLUDE (load_id, loaded_at) FROM {table} "
        "WHERE account = ? AND business_date = ? ORDER BY ALL",
        [account, day],
    )


def test_a_replay_killed_inside_a_stack_leaves_whole_units_and_finishes_on_a_rerun(
    landed: WarehouseSettings, tmp_path: Path
) -> None:
    settings = replay_home(landed, tmp_path / "killed")
    # Merges in order: the two accounts' pay methods (loaded as their first account-day is
    # handed to a worker, one transaction each), then per stack of about two account-days
    # its tickets, orders and member histories, one transaction. The 7th merge is the second
    # stack's orders: killed after its tickets merged, before the stack's commit.
    killed = run_victim(settings.home, kill_at="upsert:7")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    committed = {
        (endpoint, unit.removeprefix("account="), day)
        for endpoint, unit, day, status in log_rows(settings)
        if status == "committed"
    }
    checked = {
        pipeline.TICKETS_ENDPOINT: "pospal.tickets",
        pipeline.ORDERS_ENDPOINT: "pospal.orders",
    }
    whole = absent = 0
    for day, account in PAIRS:
        for endpoint, table in checked.items():
            rows = unit_rows(settings, table, account, day)
            if (endpoint, account, day.isoformat()) in committed:
                assert rows == unit_rows(landed, table, account, day), (endpoint, day, account)
                whole += 1
            else:
                assert rows == [], (endpoint, day, account)  # absent: nothing half-written
                absent += 1
    assert whole and absent, committed
    for day, account in PAIRS:  # a stack is one transaction: no account-day half-loaded
        key = (account, day.isoformat())
        tickets = (pipeline.TICKETS_ENDPOINT, *key) in committed
        assert tickets == ((pipeline.ORDERS_ENDPOINT, *key) in committed), key
    # An account-day is yielded only once all its units are committed.
    yielded = killed.stdout.split("\n")[:-1]
    for line in yielded:
        _, date_text, account = line.split()
        assert (pipeline.ORDERS_ENDPOINT, account, date_text) in committed, line
    assert len(yielded) < len(PAIRS)

    again = run_victim(settings.home)
    assert again.returncode == 0, again.stderr
    assert pospal_snapshot(settings) == pospal_snapshot(landed)
    for spec in POSPAL_ENTITIES:
        for table in spec.tables:
            assert read_lake(settings, table, spec.partition_column) == 0, table
