"""Generic checks over any entity: duplicate keys and orphaned child rows.

DuckDB fact tables carry no primary keys (they make delete + insert in one transaction fragile
and slow big loads), so uniqueness is proven here instead, after every load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb

from etl.batch import EntitySpec
from etl.warehouse.connection import scalar
from etl.warehouse.upsert import q


def _where_date(column: str | None, business_date: dt.date | None) -> tuple[str, list[object]]:
    if column is None or business_date is None:
        return "", []
    return f"WHERE {q(column)} = ?", [business_date]


def duplicate_keys(
    con: duckdb.DuckDBPyConnection,
    keys: Mapping[str, Sequence[str]],
    *,
    business_date: dt.date | None = None,
    partition_column: str | None = "business_date",
) -> dict[str, int]:
    """Per table: how many key values occur more than once (0 everywhere is a pass)."""
    result = {}
    for table, key in keys.items():
        where, params = _where_date(partition_column, business_date)
        cols = ", ".join(q(k) for k in key)
        result[table] = int(
            scalar(
                con,
                f"SELECT count(*) FROM (SELECT {cols} FROM {q(table)} {where} "
                f"GROUP BY {cols} HAVING count(*) > 1)",
                params,
            )
        )
    return result


def orphans(
    con: duckdb.DuckDBPyConnection,
    spec: EntitySpec,
    *,
    business_date: dt.date | None = None,
) -> dict[str, int]:
    """Per child table: rows whose parent key is not in the parent table."""
    result = {}
    join = " AND ".join(f"p.{q(k)} = c.{q(k)}" for k in spec.key)
    for child in spec.children:
        where, params = _where_date(spec.partition_column, business_date)
        where = where.replace("WHERE ", "WHERE c.") if where else ""
        result[child] = int(
            scalar(
                con,
                f"SELECT count(*) FROM {q(child)} c {where} "
                f"{'AND' if where else 'WHERE'} NOT EXISTS "
                f"(SELECT 1 FROM {q(spec.table)} p WHERE {join})",
                params,
            )
        )
    return result
