"""What the daily report's charts and tables read from the marts, as plain typed rows.

Each loader runs one file of ``sql/report/`` with the date and the selected stores bound as
parameters. Money arrives from DuckDB as ``Decimal`` and stays so here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import duckdb

from etl.report.stores import Store
from etl.sql_files import read_sql

TOP_GOODS = 10
NEWEST_EVENTS = 50

ColumnKind = Literal["text", "money", "quantity", "count", "time"]


@dataclass(frozen=True)
class PaymentShare:
    store_key: str
    method: str
    payments: int
    amount: Decimal


@dataclass(frozen=True)
class GoodsTotal:
    goods_name: str
    quantity: Decimal
    amount: Decimal
    stores: int


@dataclass(frozen=True)
class Table:
    """Rows for an HTML table; ``kinds`` says how page.py formats each column."""

    columns: tuple[str, ...]
    kinds: tuple[ColumnKind, ...]
    rows: list[tuple[Any, ...]]


def _run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    day: dt.date,
    stores: Sequence[Store],
    *extra: object,
) -> list[tuple[Any, ...]]:
    params: list[object] = [day, [s.mart_key for s in stores], *extra]
    rows: list[tuple[Any, ...]] = con.execute(read_sql(f"report/{name}.sql"), params).fetchall()
    return rows


def _keys(stores: Sequence[Store]) -> dict[str, Store]:
    return {s.mart_key: s for s in stores}


def hourly_sales(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]
) -> dict[str, list[Decimal]]:
    """Per store key: net sales for each shop-local hour 0-23 (zero where nothing was sold)."""
    by_key = _keys(stores)
    result = {s.key: [Decimal(0)] * 24 for s in stores}
    for vendor, store_id, hour, net_sales, _ in _run(con, "hourly", day, stores):
        result[by_key[f"{vendor}:{store_id}"].key][int(hour)] += Decimal(net_sales or 0)
    return result


def payment_mix(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]
) -> list[PaymentShare]:
    by_key = _keys(stores)
    return [
        PaymentShare(by_key[f"{v}:{s}"].key, method, int(payments or 0), Decimal(amount or 0))
        for v, s, method, payments, amount in _run(con, "payment_mix", day, stores)
    ]


def top_goods(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]
) -> list[GoodsTotal]:
    """The selection's top goods by amount, highest first (names matched across stores)."""
    return [
        GoodsTotal(name or "?", Decimal(qty or 0), Decimal(amount or 0), int(n))
        for name, qty, amount, n in _run(con, "top_goods", day, stores, TOP_GOODS)
    ]


def refunds_and_voids(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]
) -> Table:
    by_key = _keys(stores)
    rows = [
        (by_key[f"{r[0]}:{r[1]}"].label, *r[2:])
        for r in _run(con, "refunds_and_voids", day, stores, NEWEST_EVENTS)
    ]
    return Table(
        ("store", "kind", "document", "time", "amount", "quantity", "goods", "reference"),
        ("text", "text", "text", "time", "money", "quantity", "text", "text"),
        rows,
    )


def recheckouts(con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[Store]) -> Table:
    by_key = _keys(stores)
    rows = [(by_key[f"{r[0]}:{r[1]}"].label, *r[2:]) for r in _run(con, "recheckouts", day, stores)]
    return Table(
        (
            "store",
            "bill",
            "sn",
            "versions",
            "first undo",
            "last undo",
            "first checkout",
            "last checkout",
            "before",
            "after",
            "change",
        ),
        (
            "text",
            "text",
            "text",
            "count",
            "count",
            "count",
            "time",
            "time",
            "money",
            "money",
            "money",
        ),
        rows,
    )
