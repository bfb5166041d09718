"""Pospal replay: many account-days re-loaded from their raw landings, no vendor call.

Grain: one account (store) and business date at a time, its units in load order -- tickets,
online orders, then one unit per member history landed for that day -- each unit whole or
absent with its own meta.loads row, exactly as :func:`etl.pipeline.pospal.load_account_day`
loaded them. What a replay of many account-days does differently, and why:

* The Parquet lake is rewritten once at the end, not after every account-day: every store of
  a chain writes the same business-date partitions, so a rewrite per account-day costs N
  rewrites of a growing file per day (measured: 38% of a 200k-ticket replay).
* Consecutive account-days are loaded in stacks of about ``replay_stack_records`` records,
  one :meth:`~etl.warehouse.Warehouse.load_many` per entity: one merge for many units, the
  result the same as loading them one after another. Entities never share a table, so
  loading a stack's tickets before its orders changes nothing but the order of the log.
  A stack that fails is loaded again unit by unit, so a bad unit fails alone.
* An account's pay methods (its newest landing) are re-loaded once per replay, not once per
  account-day.
* Worker processes read and flatten the next account-days while this process merges
  (:mod:`etl.pipeline.workers`; they import :mod:`etl.pipeline.pospal_landed` only).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace

from etl.batch import EntitySpec, FlatBatch
from etl.business_day import BusinessDayRule
from etl.config import WarehouseSettings
from etl.flatten.pospal import CUSTOMER_TICKETS_ENTITY, ORDERS_ENTITY, TICKETS_ENTITY
from etl.pipeline.pospal import VENDOR, _relative, replay_pay_methods
from etl.pipeline.pospal_landed import LandedUnit, flatten_account_day, flattener
from etl.pipeline.workers import flatten_pool, in_order, replay_workers
from etl.raw import RawStore
from etl.warehouse import LoadResult, LoadUnit, Warehouse

LOAD_ORDER: tuple[EntitySpec, ...] = (TICKETS_ENTITY, ORDERS_ENTITY, CUSTOMER_TICKETS_ENTITY)
"""Entities in the order an account-day's units are loaded (see the module docstring)."""


@dataclass
class _AccountDay:
    """One account-day flattened and waiting for its stack: ``(name, unit, batch, entity)``
    per landed unit, in load order, named by :attr:`LandedUnit.name`."""

    business_date: dt.date
    account: str
    units: list[tuple[str, LoadUnit, FlatBatch, EntitySpec]]

    @property
    def records(self) -> int:
        return sum(batch.records for _, _, batch, _ in self.units)


def _account_day(
    raw: RawStore,
    account: str,
    day: dt.date,
    settings: WarehouseSettings,
    landed: list[LandedUnit],
) -> _AccountDay:
    """The load units of an account-day's flattened landings."""
    start, end = settings.rule.window(day)
    units = []
    for one in landed:
        _, entity = flattener(one.endpoint, account, settings.rule, {}, one.member)
        unit = LoadUnit(VENDOR, one.endpoint, one.unit, day, start, end, source="replay")
        unit = replace(unit, raw_path=_relative(one.path, raw))
        units.append((one.name, unit, one.batch, entity))
    return _AccountDay(day, account, units)


def _load(
    wh: Warehouse, waiting: list[_AccountDay]
) -> Iterator[tuple[dt.date, str, dict[str, LoadResult]]]:
    """Load the waiting account-days (emptying the list): one stack per entity, in
    :data:`LOAD_ORDER`; then yield each account-day's results."""
    days = list(waiting)
    waiting.clear()
    loaded: list[dict[str, LoadResult]] = [{} for _ in days]
    for entity in LOAD_ORDER:
        owners = [
            (i, name, unit, batch)
            for i, day in enumerate(days)
            for name, unit, batch, spec in day.units
            if spec == entity
        ]
        results = wh.load_stacked([(unit, batch) for _, _, unit, batch in owners], [entity])
        for (i, name, _, _), result in zip(owners, results, strict=True):
            loaded[i][name] = result
    for day, by_name in zip(days, loaded, strict=True):
        # In each account-day's own load order (tickets, orders, histories).
        order = [name for name, _, _, _ in day.units]
        yield day.business_date, day.account, {name: by_name[name] for name in order}


def replay_account_days(
    wh: Warehouse,
    raw: RawStore,
    units: Iterable[tuple[dt.date, str]],
    *,
    settings: WarehouseSettings,
    workers: int | None = None,
    ahead: int = 16,
    stack_records: int | None = None,
) -> Iterator[tuple[dt.date, str, dict[str, LoadResult]]]:
    """Replay ``(business_date, account)`` pairs from their newest complete landings, yielding
    ``(business_date, account, results by unit)`` in the given order once each is committed
    (results empty when nothing was landed). See the module docstring for how; ``workers``,
    ``ahead`` and ``stack_records`` as for :func:`etl.pipeline.qianhub.replay_days`.

    A unit that fails raises :class:`~etl.errors.LoadError` naming it; the units of its stack
    before it have landed, the account-days after it are not started. Stopping the iteration
    early leaves the account-days not yet yielded unloaded (or loaded whole: never half).
    """
    workers = workers or settings.replay_workers or replay_workers()
    stack_records = stack_records or settings.replay_stack_records
    pay_methods: dict[str, dict[str, str]] = {}

    def job(
        pair: tuple[dt.date, str],
    ) -> tuple[RawStore, str, dt.date, BusinessDayRule, dict[str, str]]:
        day, account = pair
        if account not in pay_methods:  # loaded here, before the account's first flatten
            pay_methods[account] = replay_pay_methods(wh, raw, account)
        return raw, account, day, settings.rule, pay_methods[account]

    waiting: list[_AccountDay] = []
    with (
        flatten_pool(workers) as pool,
        wh.lake_deferred(),
        wh.threads(max(1, (os.cpu_count() or 2) - workers)),
        # closing(): an iteration stopped early cancels the queued account-days first.
        closing(in_order(pool, flatten_account_day, units, job, ahead)) as flattening,
    ):
        for (day, account), landed in flattening:
            waiting.append(_account_day(raw, account, day, settings, landed))
            if sum(d.records for d in waiting) >= stack_records:
                yield from _load(wh, waiting)
        yield from _load(wh, waiting)
