"""Pospal loads against the simulator over time and under faults: the nightly look-back
re-load picks up late tickets and re-checkouts without duplicates, ids stay exact, and a load
through 5xx, drops, timeouts, slow answers, repeated rows and malformed records ends with the
same tables as a clean one, malformed records kept in meta.rejects with their raw payload."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
from pydantic import SecretStr

from etl.config import WarehouseSettings
from etl.pipeline.pospal import AccountDayResult, load_days
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.simulator import FaultConfig, PospalSimulator, PospalWorld
from etl.warehouse import Warehouse, fingerprints

DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
SEED = 31
PAGED = ("queryTicketPages", "queryCustomerHistoryTicketsByUid")


def _load(
    world: PospalWorld, settings: WarehouseSettings, budget_file: Path, faults: str = ""
) -> list[AccountDayResult]:
    results: list[AccountDayResult] = []
    config = FaultConfig.parse(faults) if faults else FaultConfig()
    with PospalSimulator(world, accounts=world.accounts(), faults=config) as sim:
        for i, (app_id, key) in enumerate(sorted(world.accounts().items()), start=1):
            account = PospalAccount(f"store-{i}", sim.url, app_id, SecretStr(key))
            budget = CallBudget(budget_file)
            with (
                PospalClient(
                    account, budget=budget, timeout=0.5, backoff_base=0.001, max_attempts=8
                ) as client,
                Warehouse.open(settings) as wh,
            ):
                results += load_days(
                    client, wh, RawStore(settings.raw_dir), account, DAYS, settings=settings
                )
    return results


def _snapshot(settings: WarehouseSettings) -> list[object]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return [fp for fp in fingerprints(con, ("pospal",)) if fp.table != "pospal.push_events"]


def test_lookback_reload_picks_up_late_tickets_and_rechecks_without_duplicates(
    warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    world = PospalWorld(seed=SEED, stores=2, rule=warehouse_settings.rule, members=40)
    (app_id, _), *_ = sorted(world.accounts().items())
    histories = [h for day in DAYS for h in world.histories(app_id, day)]
    late = [h for h in histories if h.late > 0]
    changed = [h for h in histories if len(h.versions) > 1]
    assert late and changed, "the world must have late tickets and re-checkouts"
    # The first load runs the morning after the last day: late uploads and later re-checkouts
    # have not happened yet.
    world.as_of = dt.datetime.combine(DAYS[-1] + dt.timedelta(days=1), dt.time(6, 30))
    first = _load(world, warehouse_settings, tmp_path / "budget.sqlite")
    assert all(r.complete for r in first)
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        early = {
            sn
            for (sn,) in con.execute(
                "SELECT sn FROM pospal.tickets WHERE account = 'store-1'"
            ).fetchall()
        }
    missing = {h.sn for h in late} - early
    assert missing, "some late tickets were not uploaded yet at the first load"

    # The look-back re-load, days later: everything uploaded and changed since.
    world.as_of = dt.datetime.combine(DAYS[-1] + dt.timedelta(days=4), dt.time(7))
    _load(world, warehouse_settings, tmp_path / "budget.sqlite")
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT sn, uid, total_amount, item_count FROM pospal.tickets "
            "WHERE account = 'store-1' ORDER BY sn"
        ).fetchall()
        dupes = con.execute(
            "SELECT count(*) FROM (SELECT account, sn FROM pospal.tickets GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchall()
        child_dupes = con.execute(
            "SELECT count(*) FROM (SELECT account, sn, line_no FROM pospal.ticket_items "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()
    truth = sorted(
        (str(t["sn"]), int(t["uid"]), t["totalAmount"], len(t["items"]))  # type: ignore[arg-type]
        for day in DAYS
        for t in world.tickets(app_id, day)
    )
    assert [(sn, uid, Decimal(total), n) for sn, uid, total, n in rows] == [
        (sn, uid, Decimal(str(total)), n) for sn, uid, total, n in truth
    ]
    assert missing <= {sn for sn, *_ in rows}
    assert max(uid for _, uid, *_ in rows) > 2**53  # 19-digit ids, equal to the source
    assert dupes == [(0,)] and child_dupes == [(0,)]


def test_faults_end_with_the_same_tables_and_malformed_records_kept(
    warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    as_of = dt.datetime(2026, 11, 6, 12)
    clean = WarehouseSettings(home=tmp_path / "clean")
    world = PospalWorld(seed=SEED, stores=2, rule=warehouse_settings.rule, as_of=as_of, members=40)
    assert all(r.complete for r in _load(world, clean, tmp_path / "clean-budget.sqlite"))
    faults = (
        "5xx=0.08,drop=0.04,timeout=0.03,slow=0.03,duplicate=0.2,malformed=0.05,timeout_delay=1"
    )
    faulty = _load(world, warehouse_settings, tmp_path / "faulty-budget.sqlite", faults)
    assert all(r.complete for r in faulty)
    assert _snapshot(warehouse_settings) == _snapshot(clean)
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        rejects = con.execute(
            "SELECT endpoint, record_key, reason, raw_payload FROM meta.rejects "
            "WHERE vendor = 'pospal'"
        ).fetchall()
        known = {sn for (sn,) in con.execute("SELECT sn FROM pospal.tickets").fetchall()}
    assert len(rejects) >= 3
    keyed = [r for r in rejects if r[1] is not None]
    assert keyed  # most malformed copies still name their sn
    for endpoint, record_key, reason, payload in rejects:
        assert endpoint in PAGED and reason and payload  # "null" is one of them
        if record_key is not None:
            assert record_key in known  # the malformed copy's real ticket still loaded
            assert record_key in payload  # the raw record, as sent
