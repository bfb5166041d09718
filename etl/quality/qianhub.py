"""QianHub checks: unique keys per table, orphans, and bill totals against ``dayend.stat``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from etl.sql_files import read_sql

UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "qianhub.bills": ("bill_id",),
    "qianhub.bill_versions": ("bill_id", "undo_index"),
    "qianhub.bill_orders": ("bill_id", "order_id"),
    "qianhub.bill_details": ("bill_id", "detail_id"),
    "qianhub.bill_payments": ("bill_id", "line_no"),
    "qianhub.bill_promotions": ("bill_id", "line_no"),
    "qianhub.bill_discounts": ("bill_id", "line_no"),
    "qianhub.handover_stats": ("shop_id", "staff_id", "create_on"),
    "qianhub.handover_stat_lines": ("shop_id", "staff_id", "create_on", "section", "line_no"),
    "qianhub.dayend_stats": ("shop_id", "business_date"),
    "qianhub.dayend_stat_lines": ("shop_id", "business_date", "section", "line_no"),
    "qianhub.delivery_orders": ("order_id",),
    "qianhub.delivery_order_items": ("order_id", "line_no"),
    "qianhub.delivery_order_promotions": ("order_id", "line_no"),
}


@dataclass(frozen=True)
class DayendComparison:
    """One shop-day: our bill count and paid total next to the vendor's day-end report."""

    shop_id: int
    bills: int
    dayend_bills: int | None
    paid: Decimal
    dayend_paid: Decimal | None
    paid_difference: Decimal
    matches: bool


def dayend_totals(con: duckdb.DuckDBPyConnection, business_date: dt.date) -> list[DayendComparison]:
    rows = con.execute(read_sql("checks/qianhub_dayend_totals.sql"), [business_date]).fetchall()
    return [DayendComparison(*row) for row in rows]
