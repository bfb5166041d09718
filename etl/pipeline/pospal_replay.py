"""Pospal replay: many account-days re-loaded from their raw landings, no vendor call.

Grain: one account (store) and business date at a time, its units in load order -- tickets,
online orders, then one unit per member history landed for that day -- each unit whole or
absent with its own meta.loads row, exactly as :func:`etl.pipeline.pospal.load_account_day`
loaded them. What a replay of many account-days does differently, and why:

* The Parquet lake is rewritten once per partition when the replay ends (or behind it, as it
  moves past a business date, with ``POS_WAREHOUSE_REPLAY_LAKE_FOLLOW``: see
  :class:`~etl.warehouse.lake_follow.LakeFollower`), not after every account-day: every
  store of a chain writes the same business-date partitions, so a rewrite per account-day
  costs N rewrites of a growing file per day (measured: 38% of a 200k-ticket replay).
* Consecutive account-days are loaded together, about ``replay_stack_records`` records at a
  time, in ONE transaction with one merge per entity
  (:meth:`~etl.warehouse.Warehouse.load_many`): the tables end as if the units were loaded
  one after another, and a stack is whole or absent, so a killed replay never leaves an
  account-day with its tickets and not its orders. A stack that fails is loaded again
  account-day by account-day, unit by unit, so a bad unit fails alone. One difference in
  the log: a unit's ``rows_written`` counts what it left in the warehouse, so a member's
  cross-store history re-sent by a later unit of the stack (the same tickets seen from the
  chain's other store) counts for that later unit only.
* An account's pay methods (its newest landing) are re-loaded once per replay, not once per
  account-day.
* Worker processes read and flatten the next account-days while this process merges
  (:mod:`etl.pipeline.workers`; they import :mod:`etl.pipeline.pospal_landed` only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import pyarrow as pa

from etl.batch import EntitySpec, FlatBatch
from etl.business_day import BusinessDayRule
from etl.config import WarehouseSettings
from etl.flatten.pospal import CUSTOMER_TICKETS_ENTITY, ORDERS_ENTITY, TICKETS_ENTITY
from etl.pipeline.pospal import VENDOR, _relative, replay_pay_methods
from etl.pipeline.pospal_landed import ENTITIES, LandedUnit, flatten_account_day
from etl.pipeline.workers import replay_workers, replaying
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
        unit = LoadUnit(VENDOR, one.endpoint, one.unit, day, start, end, source="replay")
        unit = replace(unit, raw_path=_relative(one.path, raw))
        units.append((one.name, unit, one.batch, ENTITIES[one.endpoint]))
    return _AccountDay(day, account, units)


def _describe(pair: tuple[dt.date, str]) -> str:
    return f"pospal account {pair[1]}, business date {pair[0]}"


def _padded(
    units: list[tuple[LoadUnit, FlatBatch, EntitySpec]], entities: list[EntitySpec]
) -> list[tuple[LoadUnit, FlatBatch]]:
    """Each unit's batch with an empty table for every table of ``entities`` it lacks (a
    tickets unit has no order tables), so that all of them load in one transaction."""
    names = [table for entity in entities for table in entity.tables]
    empty: dict[str, pa.Table] = {}
    for _, batch, entity in units:
        for table in entity.tables:
            empty.setdefault(table, batch.table(table).slice(0, 0))
    padded = []
    for unit, batch, entity in units:
        missing = {name: empty[name] for name in names if name not in entity.tables}
        tables = {name: batch.table(name) for name in entity.tables} | missing
        padded.append((unit, FlatBatch(tables, batch.rejects, batch.records)))
    return padded


def _load(
    wh: Warehouse, waiting: list[_AccountDay]
) -> Iterator[tuple[dt.date, str, dict[str, LoadResult]]]:
    """Load the waiting account-days (emptying the list) in one transaction, one merge per
    entity, then yield each account-day's results. When that fails they are loaded again unit
    by unit in the same order (:meth:`Warehouse.load_stacked`), as a load does: the failing
    unit is logged alone and raises after the account-days before it are yielded."""
    days = list(waiting)
    waiting.clear()
    units = [(unit, batch, spec) for day in days for _, unit, batch, spec in day.units]
    entities = [entity for entity in LOAD_ORDER if any(spec == entity for *_, spec in units)]
    results = wh.load_stacked(_padded(units, entities), entities)
    for day in days:
        # In the account-day's own load order (tickets, orders, histories).
        yield day.business_date, day.account, {name: next(results) for name, *_ in day.units}


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

    A unit that fails raises :class:`~etl.errors.LoadError` naming it, after the account-days
    before it are loaded and yielded; the account-days after it are not started. Stopping the
    iteration early leaves the account-days not yet yielded unloaded, or loaded whole.
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
    with replaying(
        wh,
        flatten_account_day,
        units,
        job,
        workers=workers,
        ahead=ahead,
        name=_describe,
        follow=settings.replay_lake_follow,
        append=settings.replay_lake_append,
    ) as flattening:
        for (day, account), landed in flattening:
            waiting.append(_account_day(raw, account, day, settings, landed))
            if sum(d.records for d in waiting) >= stack_records:
                yield from _load(wh, waiting)
        yield from _load(wh, waiting)
