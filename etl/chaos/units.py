"""Load units as the warehouse shows them: whole, or not there at all.

A unit's rows are found by the columns that name the unit (a QianHub shop-day: ``shop_id`` and
``business_date`` across every batch table). For each unit and table, :func:`unit_states`
takes the row count and an order-independent content hash (lineage left out). After a kill,
every unit present must equal the clean load's unit in every one of its tables; a unit with
some tables written and others not, or with fewer child rows, is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from etl.flatten.pospal import CUSTOMER_TICKETS_ENTITY, ORDERS_ENTITY, TICKETS_ENTITY
from etl.flatten.qianhub import BATCH_ENTITIES
from etl.warehouse.fingerprint import LINEAGE
from etl.warehouse.upsert import q, table_columns


@dataclass(frozen=True)
class UnitGroup:
    """Tables one kind of load unit writes together, the columns naming a unit, and columns
    left out of the hash (``customer_tickets.account`` is whichever account's history load of
    the member came last: the rows are the same whichever it was)."""

    name: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]
    ignore: tuple[str, ...] = ()


GROUPS = (
    UnitGroup("qianhub shops", ("qianhub.shops",), ()),
    UnitGroup(
        "qianhub shop-day",
        tuple(t for spec in BATCH_ENTITIES for t in spec.tables),
        ("shop_id", "business_date"),
    ),
    UnitGroup("pospal pay methods", ("pospal.pay_methods",), ("account",)),
    UnitGroup("pospal tickets", TICKETS_ENTITY.tables, ("account", "business_date")),
    UnitGroup("pospal orders", ORDERS_ENTITY.tables, ("account", "business_date")),
    UnitGroup(
        "pospal member history",
        CUSTOMER_TICKETS_ENTITY.tables,
        ("customer_uid", "business_date"),
        ignore=("account",),
    ),
)

UnitKey = tuple[str, tuple[object, ...]]
# Per unit: table -> (rows, content hash).
UnitState = dict[str, tuple[int, int]]


def unit_states(con: duckdb.DuckDBPyConnection) -> dict[UnitKey, UnitState]:
    states: dict[UnitKey, UnitState] = {}
    for group in GROUPS:
        for table in group.tables:
            columns = table_columns(con, table)
            hashed = ", ".join(q(c) for c in columns if c not in LINEAGE and c not in group.ignore)
            keys = ", ".join(q(c) for c in group.columns)
            select = f"{keys}, " if keys else ""
            group_by = f"GROUP BY {keys}" if keys else ""
            rows = con.execute(
                f"SELECT {select}count(*), sum(hash(row({hashed}))::HUGEINT) "
                f"FROM {q(table)} {group_by}"
            ).fetchall()
            width = len(group.columns)
            for row in rows:
                if int(row[width]) == 0:
                    continue  # an empty unpartitioned table: no unit there
                unit = (group.name, tuple(row[:width]))
                states.setdefault(unit, {})[table] = (int(row[width]), int(row[width + 1]))
    return states


def half_units(
    actual: Mapping[UnitKey, UnitState], clean: Mapping[UnitKey, UnitState]
) -> list[str]:
    """Units present in ``actual`` that are not exactly as in the clean load, described."""
    problems = []
    for unit, state in sorted(actual.items(), key=str):
        want = clean.get(unit)
        if want == state:
            continue
        name, key = unit
        label = f"{name} {'/'.join(str(k) for k in key) or 'all'}"
        if want is None:
            problems.append(f"{label}: not in the clean load")
            continue
        tables = sorted(t for t in want.keys() | state.keys() if want.get(t) != state.get(t))
        detail = ", ".join(
            f"{t} rows {state.get(t, (0, 0))[0]}/{want.get(t, (0, 0))[0]}" for t in tables
        )
        problems.append(f"{label}: half-written ({detail})")
    return problems
