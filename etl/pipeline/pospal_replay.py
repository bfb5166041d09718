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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from etl.batch import EntitySpec, FlatBatch
from etl.config import WarehouseSettings
from etl.flatten.pospal import CUSTOMER_TICKETS_ENTITY, ORDERS_ENTITY, TICKETS_ENTITY
from etl.pipeline.pospal import (
    HISTORY_ENDPOINT,
    ORDERS_ENDPOINT,
    TICKETS_ENDPOINT,
    VENDOR,
    _flattener,
    _relative,
    account_unit,
    replay_pay_methods,
)
from etl.raw import RawStore
from etl.warehouse import LoadResult, LoadUnit, Warehouse

LOAD_ORDER: tuple[EntitySpec, ...] = (TICKETS_ENTITY, ORDERS_ENTITY, CUSTOMER_TICKETS_ENTITY)
"""Entities in the order an account-day's units are loaded (see the module docstring)."""


@dataclass
class _AccountDay:
    """One account-day flattened and waiting for its stack: ``(name, unit, batch, entity)``
    per landed unit, named as :func:`replay_account_day` names them."""

    business_date: dt.date
    account: str
    units: list[tuple[str, LoadUnit, FlatBatch, EntitySpec]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(batch.records for _, _, batch, _ in self.units)


def _flatten_account_day(
    raw: RawStore,
    account: str,
    day: dt.date,
    settings: WarehouseSettings,
    pay_methods: dict[str, str],
) -> _AccountDay:
    """Every landed unit of an account-day, read and flattened (nothing loaded)."""
    partition = day.isoformat()
    start, end = settings.rule.window(day)
    prefix = account_unit(account) + "+customer="
    wanted: list[tuple[str, str, int | None]] = [
        (TICKETS_ENDPOINT, account_unit(account), None),
        (ORDERS_ENDPOINT, account_unit(account), None),
    ]
    wanted += [
        (HISTORY_ENDPOINT, unit, int(unit.removeprefix(prefix)))
        for unit in raw.units(VENDOR, HISTORY_ENDPOINT, partition)
        if unit.startswith(prefix)
    ]
    flattened = _AccountDay(day, account)
    for endpoint, unit_name, member in wanted:
        landed = raw.latest(VENDOR, endpoint, partition, unit_name)
        if landed is None:
            continue
        flatten, entity = _flattener(endpoint, account, settings, pay_methods, member)
        unit = LoadUnit(VENDOR, endpoint, unit_name, day, start, end, source="replay")
        unit = replace(unit, raw_path=_relative(landed.path, raw))
        name = unit_name if member else endpoint
        flattened.units.append((name, unit, flatten(list(landed.bodies())), entity))
    return flattened


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
        # In each account-day's own load order, as replay_account_day reports them.
        order = [name for name, _, _, _ in day.units]
        yield day.business_date, day.account, {name: by_name[name] for name in order}


def replay_account_days(
    wh: Warehouse,
    raw: RawStore,
    units: Iterable[tuple[dt.date, str]],
    *,
    settings: WarehouseSettings,
    stack_records: int | None = None,
) -> Iterator[tuple[dt.date, str, dict[str, LoadResult]]]:
    """Replay ``(business_date, account)`` pairs from their newest complete landings, yielding
    ``(business_date, account, results by unit)`` in the given order once each is committed
    (results empty when nothing was landed). See the module docstring for how.

    A unit that fails raises :class:`~etl.errors.LoadError` naming it; the units of its stack
    before it have landed, the account-days after it are not started. Stopping the iteration
    early leaves the account-days not yet yielded unloaded (or loaded whole: never half).
    """
    stack_records = stack_records or settings.replay_stack_records
    pay_methods: dict[str, dict[str, str]] = {}
    waiting: list[_AccountDay] = []
    with wh.lake_deferred():
        for day, account in units:
            if account not in pay_methods:
                pay_methods[account] = replay_pay_methods(wh, raw, account)
            waiting.append(_flatten_account_day(raw, account, day, settings, pay_methods[account]))
            if sum(d.records for d in waiting) >= stack_records:
                yield from _load(wh, waiting)
        yield from _load(wh, waiting)


def replay_account_day(
    wh: Warehouse, raw: RawStore, account: str, day: dt.date, *, settings: WarehouseSettings
) -> dict[str, LoadResult]:
    """Re-load one account's business date from its newest complete raw landings, in load
    order (pay methods, tickets, orders, member histories); no vendor call."""
    ((_, _, results),) = replay_account_days(wh, raw, [(day, account)], settings=settings)
    return results
