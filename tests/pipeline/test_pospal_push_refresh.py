"""Refreshing from pushes against the simulator: a burst costs a day re-pull, not a call per
ticket; orders are re-fetched; the quota leaves the rest pending for the next run; pushes of
an account no longer configured fail with a note; malformed pushes reach meta.rejects; stock
flows take the state of their latest event whatever the arrival order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

from etl.config import WarehouseSettings
from etl.pipeline.pospal_push import PushRunResult, refresh_pending
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.push import parse
from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.simulator import PospalSimulator, PospalWorld
from etl.warehouse import Warehouse

DAY = dt.date(2026, 11, 2)
AS_OF = dt.datetime(2026, 11, 4, 12)
BORN = 1_762_070_000_000


@pytest.fixture
def world(warehouse_settings: WarehouseSettings) -> PospalWorld:
    return PospalWorld(seed=23, stores=1, rule=warehouse_settings.rule, as_of=AS_OF, members=30)


@pytest.fixture
def sim(world: PospalWorld) -> Iterator[PospalSimulator]:
    with PospalSimulator(world, accounts=world.accounts()) as simulator:
        yield simulator


@pytest.fixture
def account(world: PospalWorld, sim: PospalSimulator) -> PospalAccount:
    ((app_id, key),) = world.accounts().items()
    return PospalAccount("store-1", sim.url, app_id, SecretStr(key))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PushStore]:
    inbox = PushStore(tmp_path / "push.sqlite")
    yield inbox
    inbox.close()


def _push(store: PushStore, account: PospalAccount, cmd: str, body: object, born: int) -> None:
    raw = json.dumps(
        {
            "cmd": cmd,
            "timestamp": born + 100,
            "bornTimeStamp": born,
            "version": "1.0",
            "appId": account.app_id,
            "body": json.dumps(body),
        }
    ).encode()
    store.accept(parse(raw, account))


def _refresh(
    store: PushStore,
    account: PospalAccount,
    settings: WarehouseSettings,
    budget: CallBudget,
    clients: dict[str, PospalAccount] | None = None,
) -> PushRunResult:
    with (
        PospalClient(account, budget=budget, timeout=2, backoff_base=0.01) as client,
        Warehouse.open(settings) as wh,
    ):
        return refresh_pending(
            store, wh, RawStore(settings.raw_dir), {account.name: client}, settings=settings
        )


def test_a_burst_of_ticket_pushes_costs_a_day_re_pull(
    world: PospalWorld,
    sim: PospalSimulator,
    account: PospalAccount,
    store: PushStore,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    tickets = world.tickets(account.app_id, DAY)
    for i, ticket in enumerate(tickets):
        body = {"sn": ticket["sn"], "uid": ticket["uid"], "ticketType": 1}
        _push(store, account, "ticket.new", body, BORN + i)
        _push(store, account, "ticket.new", body, BORN + i)  # a redelivery: one event
    result = _refresh(store, account, warehouse_settings, CallBudget(tmp_path / "b.sqlite"))
    pages = len(tickets) // 100 + 1
    assert result.days_repulled == [f"store-1 {DAY}"]
    assert result.tickets_refreshed == len(tickets)
    assert result.calls == pages + 1  # the day's pages and the pay methods, not one per ticket
    assert sim.stats.requests.get("ticketOpenApi/queryTicketBySn", 0) == 0
    assert result.pending_left == 0
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        loaded = con.execute("SELECT sn, uid FROM pospal.tickets ORDER BY sn").fetchall()
        events = con.execute(
            "SELECT count(*), sum(deliveries), count(*) FILTER (WHERE refresh_status = 'done') "
            "FROM pospal.push_events"
        ).fetchall()
    assert loaded == sorted((str(t["sn"]), int(t["uid"])) for t in tickets)
    assert events == [(len(tickets), 2 * len(tickets), len(tickets))]


def test_orders_quota_and_unknown_tickets(
    world: PospalWorld,
    sim: PospalSimulator,
    account: PospalAccount,
    store: PushStore,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    orders = [
        order
        for day in (DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1))
        for order in world.orders(account.app_id, day)
    ]
    assert len(orders) >= 2
    for i, order in enumerate(orders):
        _push(
            store,
            account,
            "productOrder.updateProductOrder",
            {"orderNo": order["orderNo"], "state": 4},
            BORN + i,
        )
    tickets = world.tickets(account.app_id, DAY)[:2]
    for i, ticket in enumerate(tickets):
        _push(store, account, "ticket.new", {"sn": ticket["sn"], "ticketType": 1}, BORN + 50 + i)
    # pay methods + 2 tickets fit; the orders do not.
    tight = CallBudget(tmp_path / "tight.sqlite", limit=3)
    cut = _refresh(store, account, warehouse_settings, tight)
    assert cut.quota_error and "daily call budget spent" in cut.quota_error
    assert cut.tickets_refreshed == 2 and cut.orders_refreshed == 0
    assert cut.pending_left == len(orders)
    finished = _refresh(store, account, warehouse_settings, CallBudget(tmp_path / "next.sqlite"))
    assert finished.orders_refreshed == len(orders) and finished.pending_left == 0
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        nos = con.execute("SELECT order_no FROM pospal.orders ORDER BY 1").fetchall()
    assert nos == sorted((str(o["orderNo"]),) for o in orders)


def test_pushes_of_a_removed_account_fail_with_a_note_and_rejects_are_kept(
    account: PospalAccount, store: PushStore, warehouse_settings: WarehouseSettings
) -> None:
    other = PospalAccount("gone", account.base_url, "GONEAPP", SecretStr("k"))
    _push(store, other, "ticket.new", {"sn": "202611021300001230001", "ticketType": 1}, BORN)
    store.reject(b'{"cmd": "ticket.new"', "request body is not JSON")
    with Warehouse.open(warehouse_settings) as wh:
        result = refresh_pending(
            store, wh, RawStore(warehouse_settings.raw_dir), {}, settings=warehouse_settings
        )
        notes = wh.con.execute(
            "SELECT refresh_status, refresh_note FROM pospal.push_events"
        ).fetchall()
        rejects = wh.con.execute(
            "SELECT endpoint, reason, raw_payload FROM meta.rejects"
        ).fetchall()
    assert result.failed == ["Pospal account 'gone' is no longer configured"]
    assert notes == [("failed", "Pospal account 'gone' is no longer configured")]
    assert rejects == [("push", "request body is not JSON", '{"cmd": "ticket.new"')]


def test_stock_flow_state_is_the_latest_born_event(
    account: PospalAccount, store: PushStore, warehouse_settings: WarehouseSettings
) -> None:
    # Arrival order differs from the order the events happened in.
    _push(store, account, "stockFlow.confirmStockFlowIn", {"stockFlowId": 7}, BORN + 3000)
    _push(store, account, "stockFlow.createStockFlowIn", {"stockFlowId": 7}, BORN + 1000)
    _push(store, account, "stockFlow.editStockFlowIn", {"stockFlowId": 7}, BORN + 2000)
    with Warehouse.open(warehouse_settings) as wh:
        refresh_pending(
            store, wh, RawStore(warehouse_settings.raw_dir), {}, settings=warehouse_settings
        )
        states = wh.con.execute(
            "SELECT stock_flow_id, state_cmd, events FROM pospal.stock_flow_states"
        ).fetchall()
    assert states == [(7, "stockFlow.confirmStockFlowIn", 3)]
