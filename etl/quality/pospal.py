"""Pospal checks: unique keys per table, and the voids/returns rules of
``sql/checks/pospal_voids_returns.sql`` (type flags, signed amounts, refund links)."""

from __future__ import annotations

import datetime as dt

import duckdb

from etl.sql_files import read_sql

UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "pospal.tickets": ("account", "sn"),
    "pospal.ticket_items": ("account", "sn", "line_no"),
    "pospal.ticket_item_attributes": ("account", "sn", "line_no", "attr_no"),
    "pospal.ticket_payments": ("account", "sn", "line_no"),
    "pospal.refund_links": ("account", "sn"),
    "pospal.orders": ("account", "order_no"),
    "pospal.order_items": ("account", "order_no", "line_no"),
    "pospal.customer_tickets": ("customer_uid", "store", "sn"),
}
"""Every Pospal fact table and its key, checked per business date."""

UNDATED_KEYS: dict[str, tuple[str, ...]] = {"pospal.pay_methods": ("account", "code")}
"""Tables without a business date, checked whole."""


def voids_returns_problems(
    con: duckdb.DuckDBPyConnection, business_date: dt.date
) -> dict[str, int]:
    """Per rule, the rows of the business date that break it (0 everywhere is a pass)."""
    rows = con.execute(read_sql("checks/pospal_voids_returns.sql"), [business_date]).fetchall()
    return {str(rule): int(count) for rule, count in rows}
