"""Reconciliation of ``marts.daily_sales`` with each vendor's own totals.

Grain: one :class:`Reconciliation` per vendor, store and business date. QianHub is compared
with its day-end report (``dayend.stat``: bill count and ``cashierSum``), Pospal with the
tickets' payment lines (the vendor's record of the money). The two sides come from different
vendor data, so a mart that drops, doubles or mis-signs a bill or ticket shows as a difference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

import duckdb

from etl.sql_files import read_sql

CHECKS = {
    "qianhub": "checks/marts_daily_sales_qianhub.sql",
    "pospal": "checks/marts_daily_sales_pospal.sql",
}


@dataclass(frozen=True)
class Reconciliation:
    """One store-day: the mart's figures next to the vendor's."""

    vendor: str
    store_id: str
    business_date: dt.date
    transactions: int
    vendor_transactions: int | None
    net_sales: Decimal
    vendor_net_sales: Decimal | None

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "business_date",
        "store_id",
        "transactions",
        "vendor_transactions",
        "net_sales",
        "vendor_net_sales",
        "difference",
    )

    def as_row(self) -> tuple[object, ...]:
        """The values of :attr:`COLUMNS`, for tables in reports and metadata."""
        return tuple(getattr(self, name) for name in self.COLUMNS)

    @property
    def difference(self) -> Decimal | None:
        """net_sales - vendor_net_sales (None when the vendor reported no amount)."""
        if self.vendor_net_sales is None:
            return None
        return self.net_sales - self.vendor_net_sales

    @property
    def matches(self) -> bool:
        return (
            self.transactions == self.vendor_transactions
            and self.net_sales == self.vendor_net_sales
        )

    def describe(self) -> str:
        return (
            f"{self.vendor} {self.store_id} {self.business_date}: transactions "
            f"{self.transactions} vs {self.vendor_transactions}, net_sales {self.net_sales} vs "
            f"{self.vendor_net_sales} (difference {self.difference})"
        )


def reconcile(
    con: duckdb.DuckDBPyConnection,
    vendor: str,
    *,
    since: dt.date | None = None,
) -> list[Reconciliation]:
    """Every store-day of ``vendor`` (from ``since`` on, if given) with both sides' figures."""
    rows = con.execute(read_sql(CHECKS[vendor])).fetchall()
    found = [Reconciliation(*row) for row in rows]
    if since is not None:
        found = [r for r in found if r.business_date >= since]
    return found
