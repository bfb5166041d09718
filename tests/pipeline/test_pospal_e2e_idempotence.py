"""Loading the same Pospal days twice against the simulator leaves the warehouse as it was:
the same rows and content hashes in every table, the lake equal to DuckDB, no new rejects --
whether the second run skips the fresh member histories and pay methods (a nightly re-run) or
re-fetches every unit (a run the next night, when nothing is fresh any more)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from etl.config import WarehouseSettings
from etl.flatten.pospal import POSPAL_ENTITIES
from etl.pipeline import pospal as pipeline
from etl.simulator import PospalWorld
from etl.warehouse import TableFingerprint
from etl.warehouse.lake_check import lake_differences
from tests.pipeline.conftest import (
    DAYS,
    TICKET_PAGE,
    TICKETS_PER_DAY,
    StartPospal,
    load_pospal,
    members_of,
    pospal_budget,
    pospal_snapshot,
    read_rows,
)


def committed(settings: WarehouseSettings) -> dict[str, int]:
    rows = read_rows(
        settings,
        "SELECT endpoint, count(*) FROM meta.loads WHERE status = 'committed' GROUP BY 1",
    )
    return dict(rows)


@pytest.mark.parametrize("refetch", [False, True], ids=["fresh-units-skipped", "all-refetched"])
def test_loading_the_same_days_twice_changes_nothing(
    refetch: bool,
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    clean_pospal_snapshot: list[TableFingerprint],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simulator = start_pospal()
    budget = pospal_budget(tmp_path / "budget.sqlite")
    app_id = pospal_world.stores()[0].app_id
    histories = sum(len(members_of(pospal_world.tickets(app_id, d))) for d in DAYS)
    assert all(r.complete for r in load_pospal(simulator, warehouse_settings, budget))
    first = pospal_snapshot(warehouse_settings)
    assert first == clean_pospal_snapshot
    assert {fp.table: fp.rows for fp in first}["pospal.tickets"] == len(DAYS) * TICKETS_PER_DAY
    once = committed(warehouse_settings)
    requests = simulator.stats.total_requests

    if refetch:  # nothing counts as loaded recently: pay methods and histories are asked again
        monkeypatch.setattr(pipeline, "HISTORY_REFRESH", dt.timedelta(0))
    assert all(r.complete for r in load_pospal(simulator, warehouse_settings, budget))
    assert pospal_snapshot(warehouse_settings) == first

    again = {
        pipeline.PAY_METHODS_ENDPOINT: 1 if refetch else 0,
        pipeline.TICKETS_ENDPOINT: len(DAYS),
        pipeline.ORDERS_ENDPOINT: len(DAYS),
        pipeline.HISTORY_ENDPOINT: histories if refetch else 0,
    }
    assert once == {
        pipeline.PAY_METHODS_ENDPOINT: 1,
        pipeline.TICKETS_ENDPOINT: len(DAYS),
        pipeline.ORDERS_ENDPOINT: len(DAYS),
        pipeline.HISTORY_ENDPOINT: histories,
    }
    assert committed(warehouse_settings) == {e: once[e] + again[e] for e in once}
    pages = len(DAYS) * (TICKETS_PER_DAY // TICKET_PAGE + 1)
    assert simulator.stats.total_requests - requests == (
        pages + len(DAYS) + again[pipeline.PAY_METHODS_ENDPOINT] + again[pipeline.HISTORY_ENDPOINT]
    )
    assert read_rows(warehouse_settings, "SELECT count(*) FROM meta.rejects") == [(0,)]
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        for spec in POSPAL_ENTITIES:
            for table in spec.tables:
                differences = lake_differences(
                    con, warehouse_settings.lake_dir, table, spec.partition_column
                )
                assert differences == 0, table
