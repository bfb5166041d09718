"""Fixtures for the Pospal end-to-end tests: a small seeded chain, simulators on 127.0.0.1
started by a factory and stopped at teardown, accounts, budgets and clients pointing at them,
and helpers that run ``load_days`` and read the warehouse back. Nothing reaches the internet.

The world is small on purpose (one or two stores, exactly 40 tickets a day, a handful of
members) so a whole load is ~25 calls and well under a second; the ticket page size is set to
10 so every day is an exact multiple of it and pages end on an empty, cursor-echoing page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import duckdb
import pytest
from pydantic import SecretStr

from etl.business_day import BusinessDayRule
from etl.config import WarehouseSettings
from etl.pipeline.pospal import AccountDayResult, load_days
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.simulator import FaultConfig, PospalRates, PospalSimulator, PospalWorld
from etl.warehouse import TableFingerprint, Warehouse, fingerprints

POSPAL_SEED = 20261101
DAYS = (dt.date(2026, 11, 1), dt.date(2026, 11, 2))
TICKETS_PER_DAY = 40
TICKET_PAGE = 10  # 40 tickets a day: four full pages, then the empty page that ends paging
# Shop-local: a week after DAYS, when every late upload and re-checkout of them has happened.
SETTLED = dt.datetime(2026, 11, 10, 12)
# The same instant for the call budget (aware; 12:00 in Shanghai).
BUDGET_NOW = dt.datetime(2026, 11, 10, 4, tzinfo=dt.UTC)


def small_world(
    rule: BusinessDayRule,
    *,
    stores: int = 1,
    members: int = 4,
    as_of: dt.datetime | None = SETTLED,
    rates: PospalRates | None = None,
) -> PospalWorld:
    """A chain of ``stores`` with exactly ``TICKETS_PER_DAY`` tickets a store-day."""
    return PospalWorld(
        seed=POSPAL_SEED,
        stores=stores,
        tickets_per_day=(TICKETS_PER_DAY, TICKETS_PER_DAY),
        rule=rule,
        as_of=as_of,
        members=members,
        rates=rates or PospalRates(),
    )


@pytest.fixture
def pospal_world(warehouse_settings: WarehouseSettings) -> PospalWorld:
    """One store, settled as of ``SETTLED``; tests may move ``as_of``."""
    return small_world(warehouse_settings.rule)


StartPospal = Callable[..., PospalSimulator]


@pytest.fixture
def start_pospal(pospal_world: PospalWorld) -> Iterator[StartPospal]:
    """``start(faults="", quota=300, page_sizes=None, *, world=None, accounts=None)``: a
    running simulator of ``world`` (default ``pospal_world``) for ``accounts`` (default every
    store), stopped at teardown. ``page_sizes`` defaults to tickets by ``TICKET_PAGE``."""
    started: list[PospalSimulator] = []

    def start(
        faults: str = "",
        quota: int = 300,
        page_sizes: Mapping[str, int] | None = None,
        *,
        world: PospalWorld | None = None,
        accounts: dict[str, str] | None = None,
    ) -> PospalSimulator:
        world = world or pospal_world
        simulator = PospalSimulator(
            world,
            accounts=world.accounts() if accounts is None else accounts,
            faults=FaultConfig.parse(faults),
            quota=quota,
            page_sizes={"tickets": TICKET_PAGE} if page_sizes is None else page_sizes,
        )
        started.append(simulator.start())
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


class BudgetClock:
    """An aware "now" for :class:`CallBudget` that a test moves to the next vendor day."""

    def __init__(self, now: dt.datetime = BUDGET_NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def next_day(self) -> None:
        self.now += dt.timedelta(days=1)


@pytest.fixture
def budget_clock() -> BudgetClock:
    return BudgetClock()


def pospal_accounts(world: PospalWorld, simulator: PospalSimulator) -> list[PospalAccount]:
    """``store-1``, ``store-2``, … in the world's store order, pointing at ``simulator``."""
    return [
        PospalAccount(f"store-{i}", simulator.url, store.app_id, SecretStr(store.app_key))
        for i, store in enumerate(world.stores(), start=1)
    ]


def pospal_budget(
    path: Path, *, limit: int = 300, clock: Callable[[], dt.datetime] | None = None
) -> CallBudget:
    """A budget file without reserve, on a fixed clock unless one is given."""
    return CallBudget(path, limit=limit, reserve=0, clock=clock or BudgetClock())


def pospal_client(
    account: PospalAccount, budget: CallBudget | None, **overrides: Any
) -> PospalClient:
    """A client with a short timeout and near-zero backoff (faults stay fast)."""
    kwargs: dict[str, Any] = {"timeout": 2.0, "backoff_base": 0.001, "max_attempts": 4}
    kwargs.update(overrides)
    return PospalClient(account, budget=budget, **kwargs)


def load_pospal(
    simulator: PospalSimulator,
    settings: WarehouseSettings,
    budget: CallBudget,
    days: Sequence[dt.date] = DAYS,
    *,
    accounts: Sequence[PospalAccount] | None = None,
    **client_overrides: Any,
) -> list[AccountDayResult]:
    """``load_days`` for every account of the simulator's world, one after the other."""
    results: list[AccountDayResult] = []
    raw = RawStore(settings.raw_dir)
    for account in accounts or pospal_accounts(simulator.world, simulator):
        with (
            pospal_client(account, budget, **client_overrides) as client,
            Warehouse.open(settings) as wh,
        ):
            results += load_days(client, wh, raw, account, days, settings=settings)
    return results


def read_rows(settings: WarehouseSettings, sql: str, params: Sequence[object] = ()) -> list[Any]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def pospal_snapshot(settings: WarehouseSettings) -> list[TableFingerprint]:
    """Row count and content hash of every ``pospal`` table (lineage columns left out)."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return fingerprints(con, ("pospal",))


@pytest.fixture(scope="session")
def clean_pospal_snapshot(tmp_path_factory: pytest.TempPathFactory) -> list[TableFingerprint]:
    """The ``pospal`` tables after one clean, uninterrupted load of ``DAYS`` from the default
    world (one store, settled): what every interrupted, faulty or repeated load must equal."""
    home = tmp_path_factory.mktemp("clean-pospal")
    settings = WarehouseSettings(home=home / "home")
    world = small_world(settings.rule)
    with PospalSimulator(
        world, accounts=world.accounts(), page_sizes={"tickets": TICKET_PAGE}
    ) as simulator:
        results = load_pospal(simulator, settings, pospal_budget(home / "budget.sqlite"))
    assert all(r.complete for r in results)
    return pospal_snapshot(settings)


def members_of(tickets: Sequence[Mapping[str, object]]) -> list[int]:
    """Distinct member uids of tickets, ascending (the order histories are loaded in)."""
    return sorted({cast(int, t["customerUid"]) for t in tickets if t["customerUid"]})
