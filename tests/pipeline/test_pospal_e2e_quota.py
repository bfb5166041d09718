"""Quota exhaustion against the simulator: our own daily budget or the vendor's 1035 cuts a load
at a unit boundary, the result says why and what is left, the warehouse holds only whole units,
and the next vendor day's run finishes with tables equal to a clean single run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from etl.config import WarehouseSettings
from etl.pipeline.pospal import (
    HISTORY_ENDPOINT,
    TICKETS_ENDPOINT,
    VENDOR,
    account_unit,
    members_to_refresh,
)
from etl.raw import RawStore
from etl.simulator import PospalWorld
from etl.warehouse import TableFingerprint, Warehouse
from tests.pipeline.conftest import (
    DAYS,
    TICKET_PAGE,
    TICKETS_PER_DAY,
    BudgetClock,
    StartPospal,
    load_pospal,
    members_of,
    pospal_budget,
    pospal_snapshot,
    read_rows,
)

PARTS = ["tickets", "orders", "member histories"]
TICKET_PAGES = TICKETS_PER_DAY // TICKET_PAGE + 1  # the full pages, then the empty one


def calls_for(world: PospalWorld, day: dt.date) -> int:
    """Calls a whole business day takes: ticket pages (the last one empty), one order page,
    one history page per member."""
    tickets = world.tickets(world.stores()[0].app_id, day)
    return TICKET_PAGES + 1 + len(members_of(tickets))


def tickets_per_day(settings: WarehouseSettings) -> dict[dt.date, int]:
    rows = read_rows(settings, "SELECT business_date, count(*) FROM pospal.tickets GROUP BY 1")
    return dict(rows)


CUTS = ["pay methods", "first day's member histories", "second day's ticket pages"]


@pytest.mark.parametrize("cut", CUTS)
def test_our_budget_cuts_at_a_unit_boundary_and_the_next_day_finishes(
    cut: str,
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    budget_clock: BudgetClock,
    clean_pospal_snapshot: list[TableFingerprint],
    tmp_path: Path,
) -> None:
    simulator = start_pospal()
    app_id = pospal_world.stores()[0].app_id
    members = members_of(pospal_world.tickets(app_id, DAYS[0]))
    # Calls left in today's budget, what the cut result leaves, tickets per day written.
    allowed, left, days_loaded = {
        CUTS[0]: (0, ["pay methods", *PARTS], {}),
        CUTS[1]: (
            1 + TICKET_PAGES + 1 + 2,
            [f"history of {len(members) - 2} members"],
            {DAYS[0]: TICKETS_PER_DAY},
        ),
        CUTS[2]: (1 + calls_for(pospal_world, DAYS[0]) + 2, PARTS, {DAYS[0]: TICKETS_PER_DAY}),
    }[cut]
    limit = 30
    budget = pospal_budget(tmp_path / "budget.sqlite", limit=limit, clock=budget_clock)
    if limit - allowed:
        budget.spend(app_id, limit - allowed)  # spent earlier today by other runs

    results = load_pospal(simulator, warehouse_settings, budget)
    cut_day = results[-1]
    assert [r.complete for r in results] == [True] * (len(results) - 1) + [False]
    assert cut_day.left == left
    assert cut_day.quota_error is not None
    assert f"daily call budget spent for app {app_id}" in cut_day.quota_error
    assert f"{limit}/{limit} calls used" in cut_day.quota_error
    assert "resumes after 00:00 Asia/Shanghai" in cut_day.quota_error
    assert simulator.stats.total_requests == allowed  # the budget stops before calling
    assert tickets_per_day(warehouse_settings) == days_loaded  # whole days or nothing
    raw = RawStore(warehouse_settings.raw_dir)
    if cut == CUTS[1]:
        # Two histories committed, whole; the rest is exactly what is left to fetch.
        with Warehouse.open(warehouse_settings) as wh:
            assert members_to_refresh(wh, "store-1", DAYS[0]) == members[2:]
        histories = read_rows(
            warehouse_settings,
            "SELECT customer_uid, sn FROM pospal.customer_tickets ORDER BY ALL",
        )
        assert histories == sorted(
            (m, t["sn"]) for m in members[:2] for t in pospal_world.customer_tickets(m, DAYS[0])
        )
        assert sorted(raw.units(VENDOR, HISTORY_ENDPOINT, DAYS[0].isoformat())) == sorted(
            f"{account_unit('store-1')}+customer={m}" for m in members[:2]
        )
    if cut == CUTS[2]:
        # Two pages of the second day were fetched and landed, none of it written or complete.
        assert raw.latest(VENDOR, TICKETS_ENDPOINT, DAYS[1].isoformat(), "account=store-1") is None
        failed = read_rows(
            warehouse_settings,
            "SELECT endpoint, business_date, error FROM meta.loads WHERE status = 'failed'",
        )
        assert [(e, d) for e, d, _ in failed] == [(TICKETS_ENDPOINT, DAYS[1])]
        assert "daily call budget spent" in failed[0][2]

    budget_clock.next_day()
    finished = load_pospal(simulator, warehouse_settings, budget)
    assert [r.left for r in finished] == [[], []]
    assert pospal_snapshot(warehouse_settings) == clean_pospal_snapshot


def test_the_vendors_quota_answer_stops_the_load_until_its_next_day(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    budget_clock: BudgetClock,
    clean_pospal_snapshot: list[TableFingerprint],
    tmp_path: Path,
) -> None:
    # Enough for all but the last three member histories of day two, and for the rest (with
    # the histories already fresh) the next day.
    quota = 1 + calls_for(pospal_world, DAYS[0]) + calls_for(pospal_world, DAYS[1]) - 3
    simulator = start_pospal(quota=quota)
    app_id = pospal_world.stores()[0].app_id
    budget = pospal_budget(tmp_path / "budget.sqlite", clock=budget_clock)
    first_day = pospal_world.now().date()

    results = load_pospal(simulator, warehouse_settings, budget)
    assert [r.left for r in results] == [[], ["history of 3 members"]]
    message = results[-1].quota_error
    assert message is not None and "daily call quota spent" in message and "code 1035" in message
    assert simulator.stats.errors == {1035: 1}
    assert simulator.stats.total_requests == quota + 1  # the refused call counts too
    assert simulator.api.quota_used(first_day) == {app_id: quota + 1}
    assert budget.used(app_id) == budget.limit  # the vendor's word: today is spent
    assert tickets_per_day(warehouse_settings) == {d: TICKETS_PER_DAY for d in DAYS}
    with Warehouse.open(warehouse_settings) as wh:
        left = members_to_refresh(wh, "store-1", DAYS[1])
    assert left == members_of(pospal_world.tickets(app_id, DAYS[1]))[-3:]

    # A second run the same day asks the vendor nothing.
    (again,) = load_pospal(simulator, warehouse_settings, budget)
    assert again.left == PARTS and again.quota_error is not None
    assert simulator.stats.total_requests == quota + 1

    # Both the vendor's and our day roll over (DAYS were settled long before either).
    pospal_world.as_of = pospal_world.now() + dt.timedelta(days=1)
    budget_clock.next_day()
    finished = load_pospal(simulator, warehouse_settings, budget)
    assert [r.left for r in finished] == [[], []]
    assert simulator.api.quota_used(first_day) == {app_id: quota + 1}
    assert pospal_snapshot(warehouse_settings) == clean_pospal_snapshot
