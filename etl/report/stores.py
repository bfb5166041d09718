"""Which stores a daily report shows: those with sales on the date, filtered by ``--store``.

A store is one vendor's shop (QianHub ``shop_id`` as text, Pospal account name). Filters match
a store's id or its name, so analysts can type either; an unknown filter fails naming every
store known for that date rather than writing a report with silently missing stores.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from etl.errors import PosWarehouseError
from etl.sql_files import read_sql


class ReportError(PosWarehouseError):
    """The report cannot be built as asked: no data for the date, or an unknown store."""


@dataclass(frozen=True)
class Store:
    vendor: str
    store_id: str
    store_name: str
    # The store's key in Report.figures: its store_id, or "vendor:store_id" in the unlikely case
    # that both vendors use the same store_id on one date.
    key: str

    @property
    def mart_key(self) -> str:
        """How the report's SQL files match a store (``vendor || ':' || store_id``); vendor
        names hold no colon, so any store_id round-trips."""
        return f"{self.vendor}:{self.store_id}"

    @property
    def label(self) -> str:
        return (
            self.store_name
            if self.store_name == self.store_id
            else (f"{self.store_name} ({self.store_id})")
        )


def stores_on(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[Store]:
    """Every store with a marts.daily_sales row on ``day``, ordered by vendor and store_id."""
    rows = con.execute(read_sql("report/stores.sql"), [day]).fetchall()
    shared = Counter(str(store_id) for _, store_id, _ in rows)
    return [
        Store(
            vendor=vendor,
            store_id=str(store_id),
            store_name=name or str(store_id),
            key=f"{vendor}:{store_id}" if shared[str(store_id)] > 1 else str(store_id),
        )
        for vendor, store_id, name in rows
    ]


def select_stores(
    known: Sequence[Store], wanted: Sequence[str] | None, day: dt.date
) -> list[Store]:
    """The stores matching ``wanted`` (each a store_id, store name or key), in ``known``'s
    order; all of ``known`` when nothing is wanted."""
    if not known:
        raise ReportError(f"no sales data for {day} in marts.daily_sales: no report written")
    if not wanted:
        return list(known)
    unknown = [w for w in wanted if not any(w in (s.store_id, s.store_name, s.key) for s in known)]
    if unknown:
        listing = ", ".join(f"{s.store_id} ({s.vendor}: {s.store_name})" for s in known)
        names = ", ".join(repr(w) for w in unknown)
        raise ReportError(f"unknown store {names} for {day}; known stores: {listing}")
    return [s for s in known if any(w in (s.store_id, s.store_name, s.key) for w in wanted)]
