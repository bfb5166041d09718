"""The small deterministic world every chaos trial loads, and the loads themselves.

Two QianHub shops and two Pospal stores, two business days each: big enough for re-checkouts,
member histories, several Parquet partitions and a few dozen load units, small enough that a
whole load of both vendors takes seconds. The simulators run in the calling process (threads on
127.0.0.1); a load runs here or in a victim subprocess (:mod:`etl.chaos.victim`) with the same
functions, so a killed run and its re-run do exactly what a clean run does.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from etl.config import QianhubSettings, WarehouseSettings
from etl.errors import PosWarehouseError
from etl.pipeline import pospal as pospal_pipeline
from etl.pipeline import qianhub as qianhub_pipeline
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount
from etl.qianhub.client import QianhubClient
from etl.raw import RawStore
from etl.simulator import (
    DemoKeys,
    FaultConfig,
    PospalSimulator,
    PospalWorld,
    QianhubSimulator,
    QianhubWorld,
    ensure_demo_keypair,
)
from etl.warehouse import Warehouse

log = logging.getLogger(__name__)

QIANHUB_SEED = 20261123
POSPAL_SEED = 20261101
QIANHUB_DAYS = (dt.date(2026, 11, 3), dt.date(2026, 11, 4))
POSPAL_DAYS = (dt.date(2026, 11, 1), dt.date(2026, 11, 2))
# Shop-local, a week after the days: every late upload and re-checkout has happened.
SETTLED = dt.datetime(2026, 11, 10, 12)  # noqa: DTZ001 -- the worlds' clocks are shop-local, naive
APP_ID = "chaos-app"
TICKET_PAGE = 10
# Client timeouts below the simulators' injected stalls, and near-zero backoff: faults stay fast.
CLIENT_TIMEOUT = 0.5
MAX_ATTEMPTS = 10
VENDORS = ("qianhub", "pospal")
# Eight batch-query calls a shop-day (as with a busy shop) rather than one, so that request
# faults at real-life rates are met in a small world.
WINDOW_HOURS = 3.0


def qianhub_world(*, key_variant: bool = False) -> QianhubWorld:
    """Two shops; with ``key_variant`` the first writes its records' key as ``shop_<id>``."""
    return QianhubWorld(
        seed=QIANHUB_SEED,
        shop_count=2,
        bills_per_day=(25, 35),
        variant_shop_index=0 if key_variant else None,
        recheckout_rate=0.15,
        as_of=SETTLED,
    )


def pospal_world() -> PospalWorld:
    """Two stores, 40 tickets a store-day, a handful of members visiting both."""
    return PospalWorld(
        seed=POSPAL_SEED, stores=2, tickets_per_day=(40, 40), as_of=SETTLED, members=6
    )


def demo_keys(folder: Path) -> DemoKeys:
    return ensure_demo_keypair(folder, app_id=APP_ID)


def start_qianhub(
    keys: DemoKeys, faults: str = "", *, key_variant: bool = False
) -> QianhubSimulator:
    world = qianhub_world(key_variant=key_variant)
    return QianhubSimulator(
        world, apps={keys.app_id: keys.public_key}, faults=FaultConfig.parse(faults)
    ).start()


def start_pospal(
    faults: str = "", *, quota: int = 300, world: PospalWorld | None = None
) -> PospalSimulator:
    world = world or pospal_world()
    return PospalSimulator(
        world,
        accounts=world.accounts(),
        faults=FaultConfig.parse(faults),
        quota=quota,
        page_sizes={"tickets": TICKET_PAGE},
    ).start()


def warehouse_settings(home: Path) -> WarehouseSettings:
    return WarehouseSettings(home=home)


@dataclass
class LoadOutcome:
    """What one load run left undone: failed units (text), quota cuts (text), and the Pospal
    partitions (account, business date) to run again."""

    failures: list[str]
    quota_cuts: list[str]
    left: list[tuple[str, dt.date]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures and not self.quota_cuts


def load_qianhub(
    url: str, keys: DemoKeys, home: Path, *, window_hours: float = WINDOW_HOURS
) -> LoadOutcome:
    """Shops, then every shop-day of ``QIANHUB_DAYS``; a failed shop-day is reported, not raised."""
    qianhub = QianhubSettings(
        gateway_url=url,
        app_id=keys.app_id,
        private_key_file=keys.private_key_file,
        window_hours=window_hours,
        timeout_seconds=CLIENT_TIMEOUT,
        max_attempts=MAX_ATTEMPTS,
    )
    settings = warehouse_settings(home)
    raw = RawStore(settings.raw_dir)
    failures: list[str] = []
    with (
        QianhubClient.from_settings(qianhub, backoff_base=0.001) as client,
        Warehouse.open(settings) as wh,
    ):
        try:
            shops = qianhub_pipeline.load_shops(client, wh, raw)
        except PosWarehouseError as exc:
            return LoadOutcome([f"qianhub list-shop: {exc}"], [])
        for day in QIANHUB_DAYS:
            result = qianhub_pipeline.load_day(
                client, wh, raw, shops, day, qianhub=qianhub, settings=settings
            )
            failures += [f"qianhub {f}" for f in result.failures]
    return LoadOutcome(failures, [])


def pospal_accounts(world: PospalWorld, url: str) -> list[PospalAccount]:
    return [
        PospalAccount(f"store-{i}", url, store.app_id, SecretStr(store.app_key))
        for i, store in enumerate(world.stores(), start=1)
    ]


def load_pospal(
    url: str,
    home: Path,
    *,
    world: PospalWorld | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    budget_limit: int = 300,
    partitions: Sequence[tuple[str, dt.date]] | None = None,
) -> LoadOutcome:
    """One business date x account at a time, as the Dagster partitions run (date-major):
    every partition of ``POSPAL_DAYS``, or only ``partitions`` (what an earlier run left). A
    failing or quota-cut partition is reported and the next one runs."""
    world = world or pospal_world()
    settings = warehouse_settings(home)
    raw = RawStore(settings.raw_dir)
    budget = CallBudget(home / "pospal-budget.sqlite", limit=budget_limit, reserve=0, clock=clock)
    accounts = {a.name: a for a in pospal_accounts(world, url)}
    if partitions is None:
        partitions = [(name, day) for day in POSPAL_DAYS for name in accounts]
    outcome = LoadOutcome([], [])
    with Warehouse.open(settings) as wh:
        for name, day in partitions:
            client = PospalClient(
                accounts[name],
                budget=budget,
                timeout=CLIENT_TIMEOUT,
                backoff_base=0.001,
                max_attempts=MAX_ATTEMPTS,
            )
            with client:
                try:
                    (result,) = pospal_pipeline.load_days(
                        client, wh, raw, accounts[name], [day], settings=settings
                    )
                except PosWarehouseError as exc:
                    outcome.failures.append(str(exc))
                    outcome.left.append((name, day))
                    continue
            if result.quota_error:
                outcome.quota_cuts.append(f"{name} {day}: {result.quota_error}")
                outcome.left.append((name, day))
    return outcome
