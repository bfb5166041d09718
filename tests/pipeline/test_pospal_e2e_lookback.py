"""The nightly look-back re-load against the simulator's moving clock, and exact 19-digit ids.

A day is loaded the morning after; days later late uploads have appeared in it and re-checkouts
have changed tickets in place (same sn, same uid). Re-loading the same day must leave exactly
the world's tickets at the later time: no duplicate (account, sn), the newer version of every
re-checked-out ticket, its items and payments replaced rather than appended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from etl.business_day import BusinessDayRule
from etl.config import WarehouseSettings
from etl.pipeline.pospal import load_account_day, pay_methods_for
from etl.raw import RawStore
from etl.simulator import PospalRates
from etl.simulator.pospal_day import TicketHistory
from etl.warehouse import Warehouse
from tests.pipeline.conftest import (
    DAYS,
    SETTLED,
    StartPospal,
    load_pospal,
    members_of,
    pospal_accounts,
    pospal_budget,
    pospal_client,
    read_rows,
    small_world,
)

# The morning after the last day: late uploads (10:00 a day or two later) and re-checkouts
# more than a few hours after upload have not happened yet.
EARLY = dt.datetime.combine(DAYS[-1] + dt.timedelta(days=1), dt.time(6, 30))
LATE_AND_CHANGED = PospalRates(late=0.15, recheckout=0.3)
RULE = BusinessDayRule()  # the warehouse default: days start at 06:00


def _dec(value: object) -> Decimal:
    return Decimal(str(value))


def lines(ticket: Mapping[str, object], name: str = "items") -> list[dict[str, Any]]:
    """A ticket's ``items`` or ``payments`` (the world types tickets loosely)."""
    return cast(list[dict[str, Any]], ticket[name])


def ticket_rows(settings: WarehouseSettings) -> list[tuple[Any, ...]]:
    return read_rows(
        settings,
        "SELECT sn, uid, business_date, total_amount, is_void, item_count FROM pospal.tickets "
        "WHERE account = 'store-1' ORDER BY sn",
    )


def world_rows(tickets: list[dict[str, object]]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            t["sn"],
            t["uid"],
            RULE.business_date(dt.datetime.fromisoformat(str(t["datetime"]))),
            _dec(t["totalAmount"]),
            t["invalid"] == 1,
            len(lines(t)),
        )
        for t in tickets
    )


def child_rows(settings: WarehouseSettings, sn: str) -> tuple[list[Any], list[Any]]:
    items = read_rows(
        settings,
        "SELECT line_no, product_uid, quantity, total_amount FROM pospal.ticket_items "
        "WHERE account = 'store-1' AND sn = ? ORDER BY line_no",
        [sn],
    )
    payments = read_rows(
        settings,
        "SELECT line_no, code, amount FROM pospal.ticket_payments "
        "WHERE account = 'store-1' AND sn = ? ORDER BY line_no",
        [sn],
    )
    return items, payments


def version_children(ticket: Mapping[str, object] | None) -> tuple[list[Any], list[Any]]:
    assert ticket is not None
    items = [
        (n, i["productUid"], _dec(i["quantity"]), _dec(i["totalAmount"]))
        for n, i in enumerate(lines(ticket))
    ]
    payments = [(n, p["code"], _dec(p["amount"])) for n, p in enumerate(lines(ticket, "payments"))]
    return items, payments


def test_lookback_reload_takes_late_tickets_and_rechecks_in_place(
    start_pospal: StartPospal, warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    assert warehouse_settings.rule == RULE
    world = small_world(RULE, as_of=EARLY, rates=LATE_AND_CHANGED)
    app_id = world.stores()[0].app_id
    histories: list[TicketHistory] = [h for d in DAYS for h in world.histories(app_id, d)]
    late = {h.sn for h in histories if h.at(EARLY) is None}
    rechecked = [
        h for h in histories if (seen := h.at(EARLY)) is not None and lines(seen) != lines(h.final)
    ]
    assert late and rechecked, "the world must have late tickets and re-checkouts"
    simulator = start_pospal(world=world)
    budget = pospal_budget(tmp_path / "budget.sqlite")

    assert all(r.complete for r in load_pospal(simulator, warehouse_settings, budget))
    early = [t for d in DAYS for t in world.tickets(app_id, d)]
    assert ticket_rows(warehouse_settings) == world_rows(early)
    assert late.isdisjoint(row[0] for row in ticket_rows(warehouse_settings))
    before = {h.sn: child_rows(warehouse_settings, h.sn) for h in rechecked}
    for h in rechecked:
        assert before[h.sn] == version_children(h.at(EARLY))

    # Days later the look-back re-loads the same business days, one load_account_day each,
    # with the pay-method names still fresh in the warehouse (no call for them).
    world.as_of = SETTLED
    (account,) = pospal_accounts(world, simulator)
    raw = RawStore(warehouse_settings.raw_dir)
    with pospal_client(account, budget) as client, Warehouse.open(warehouse_settings) as wh:
        names = pay_methods_for(client, wh, raw, account)
        for day in DAYS:
            result = load_account_day(
                client, wh, raw, account, day, settings=warehouse_settings, pay_methods=names
            )
            assert result.finished == ["tickets", "orders", "member histories"]
    assert simulator.stats.requests["ticketOpenApi/queryAllPayMethod"] == 1
    settled = [t for d in DAYS for t in world.tickets(app_id, d)]
    assert len(settled) == len(early) + len(late)
    assert ticket_rows(warehouse_settings) == world_rows(settled)
    assert read_rows(
        warehouse_settings,
        "SELECT count(*), count(DISTINCT (account, sn)) FROM pospal.tickets",
    ) == [(len(settled), len(settled))]
    for h in rechecked:
        newer = h.at(SETTLED)
        assert newer is not None and newer["sn"] == h.sn and newer["uid"] == h.uid
        after = child_rows(warehouse_settings, h.sn)
        assert after == version_children(newer)  # replaced by the newer lines...
        assert after != before[h.sn]  # ...which differ from the first ones
    counts = read_rows(
        warehouse_settings,
        "SELECT (SELECT count(*) FROM pospal.ticket_items), "
        "(SELECT count(*) FROM pospal.ticket_payments), "
        "(SELECT count(*) FROM pospal.ticket_item_attributes)",
    )
    assert counts == [
        (
            sum(len(lines(t)) for t in settled),
            sum(len(lines(t, "payments")) for t in settled),
            sum(len(i["ticketitemattributes"]) for t in settled for i in lines(t)),
        )
    ]


def test_19_digit_ids_are_exact_in_the_warehouse_and_the_lake(
    start_pospal: StartPospal, warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    world = small_world(warehouse_settings.rule, stores=2)
    simulator = start_pospal(world=world)
    load_pospal(simulator, warehouse_settings, pospal_budget(tmp_path / "budget.sqlite"))
    app_id = world.stores()[0].app_id
    tickets = [t for d in DAYS for t in world.tickets(app_id, d)]
    expected = sorted(
        (t["sn"], str(t["uid"]), str(t["cashierUid"]), str(t["customerUid"] or None))
        for t in tickets
    )
    # Cast to text inside DuckDB: no Python int or float on the way.
    got = read_rows(
        warehouse_settings,
        "SELECT sn, uid::VARCHAR, cashier_uid::VARCHAR, coalesce(customer_uid::VARCHAR, 'None') "
        "FROM pospal.tickets WHERE account = 'store-1' ORDER BY sn",
    )
    assert got == expected
    assert all(2**53 < int(uid) < 2**63 for _, uid, _, _ in got)
    items = read_rows(
        warehouse_settings,
        "SELECT sn, line_no, product_uid FROM pospal.ticket_items WHERE account = 'store-1' "
        "ORDER BY sn, line_no",
    )
    assert items == sorted(
        (t["sn"], n, i["productUid"]) for t in tickets for n, i in enumerate(lines(t))
    )
    refunds = read_rows(
        warehouse_settings,
        "SELECT sn, return_uid, sell_ticket_uid FROM pospal.refund_links "
        "WHERE account = 'store-1' ORDER BY sn",
    )
    assert refunds == sorted(
        (t["sn"], t["uid"], t["sellTicketUid"]) for t in tickets if "sellTicketUid" in t
    )
    # Member histories span the chain: each member's tickets in both stores, ids exact. The
    # table's key has no account (one row per member and ticket), so it is compared whole.
    history = read_rows(
        warehouse_settings,
        "SELECT customer_uid, store, sn, uid FROM pospal.customer_tickets ORDER BY ALL",
    )
    assert history == sorted(
        {
            (m, t["ticketStoreAppIdOrAccount"], t["sn"], t["uid"])
            for d in DAYS
            for store in world.stores()
            for m in members_of(world.tickets(store.app_id, d))
            for t in world.customer_tickets(m, d)
        }
    )
    assert {store for _, store, _, _ in history} == {s.app_id for s in world.stores()}
    lake = warehouse_settings.lake_dir / "pospal" / "tickets" / "*" / "*.parquet"
    # One file per account and business date: a nightly account-day rewrites its own files.
    files = {(p.parent.name, p.name) for p in lake.parent.parent.glob("*/*.parquet")}
    assert files == {
        (f"business_date={d}", f"account-{name}.parquet")
        for d in DAYS
        for name in ("store-1", "store-2")
    }
    in_lake = read_rows(
        warehouse_settings,
        "SELECT sn, uid::VARCHAR FROM read_parquet(?) WHERE account = 'store-1' ORDER BY sn",
        [str(lake)],
    )
    assert in_lake == [(sn, uid) for sn, uid, _, _ in expected]
