"""Headline figures of a store-day and their week-on-week change.

Week-on-week compares with the same weekday 7 days earlier. Money stays ``Decimal`` throughout;
a change is ``None`` ("n/a") when the earlier day has no data, and its percentage is ``None``
when the earlier value is zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from etl.report.stores import Store
from etl.sql_files import read_sql

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class DayFigures:
    """One store's (or the selection's total) figures for one business date."""

    net_sales: Decimal
    transactions: int
    avg_ticket: Decimal | None  # None when there were no transactions
    refunds: Decimal
    refund_count: int
    voids: int


@dataclass(frozen=True)
class Change:
    absolute: Decimal
    percent: Decimal | None  # one decimal place; None when the earlier value is zero


@dataclass(frozen=True)
class StoreFigures:
    """A store's figures on the report date and 7 days earlier (``None``: no data then)."""

    label: str
    day: DayFigures
    previous: DayFigures | None

    def change(self, name: str) -> Change | None:
        if self.previous is None:
            return None
        now, then = getattr(self.day, name), getattr(self.previous, name)
        if now is None or then is None:
            return None
        return change(Decimal(now), Decimal(then))


FIGURE_NAMES = tuple(f.name for f in fields(DayFigures))


def change(now: Decimal, then: Decimal) -> Change:
    absolute = now - then
    percent = None if then == 0 else (absolute * 100 / then).quantize(TENTH, ROUND_HALF_UP)
    return Change(absolute, percent)


def average_ticket(net_sales: Decimal, transactions: int) -> Decimal | None:
    return (net_sales / transactions).quantize(CENT, ROUND_HALF_UP) if transactions else None


def total(days: Iterable[DayFigures]) -> DayFigures | None:
    """The sum over stores; the average ticket is recomputed from the sums, not averaged."""
    days = list(days)
    if not days:
        return None
    net = sum((d.net_sales for d in days), Decimal(0))
    transactions = sum(d.transactions for d in days)
    return DayFigures(
        net_sales=net,
        transactions=transactions,
        avg_ticket=average_ticket(net, transactions),
        refunds=sum((d.refunds for d in days), Decimal(0)),
        refund_count=sum(d.refund_count for d in days),
        voids=sum(d.voids for d in days),
    )


def day_figures(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]
) -> dict[str, DayFigures]:
    """Per store key: its figures on ``day`` (stores without a daily_sales row are absent)."""
    by_mart_key = {s.mart_key: s.key for s in stores}
    rows = con.execute(read_sql("report/headline.sql"), [day, list(by_mart_key)]).fetchall()
    result = {}
    for vendor, store_id, net, transactions, avg, refunds, refund_count, voids in rows:
        net, transactions = Decimal(net or 0), int(transactions or 0)
        result[by_mart_key[f"{vendor}:{store_id}"]] = DayFigures(
            net_sales=net,
            transactions=transactions,
            avg_ticket=Decimal(avg) if avg is not None else average_ticket(net, transactions),
            refunds=Decimal(refunds or 0),
            refund_count=int(refund_count or 0),
            voids=int(voids or 0),
        )
    return result


def store_figures(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]
) -> tuple[dict[str, StoreFigures], StoreFigures]:
    """Per store key and for the selection's total: figures on ``day`` and a week before.

    The earlier total is ``None`` (n/a) unless every selected store had data then: a total
    over fewer stores would pass a new store's whole day off as growth.
    """
    now = day_figures(con, day, stores)
    then = day_figures(con, day - WEEK, stores)
    per_store = {
        s.key: StoreFigures(s.label, now[s.key], then.get(s.key)) for s in stores if s.key in now
    }
    day_total = total(now.values())
    assert day_total is not None  # stores were chosen from the date's daily_sales rows
    complete = all(s.previous is not None for s in per_store.values())
    earlier_total = (
        total(s.previous for s in per_store.values() if s.previous) if complete else None
    )
    return per_store, StoreFigures("Total", day_total, earlier_total)
