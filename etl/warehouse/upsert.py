"""Staging + merge of one entity inside the caller's transaction.

Merge rule, per :class:`~etl.batch.EntitySpec`: within the batch, the row with the greatest
``version`` tuple wins per key (ties: the later record). It then replaces the stored row and
*all* its child rows unless the stored row has a strictly greater version, so a re-checkout
loaded before its older version keeps the newer one, and re-loading the same data rewrites
identical rows. Children are taken only from the winning record (``_rec``), never from a
losing duplicate.

Statements are composed from the entity spec's identifiers (quoted; they come from code, never
from data) because table and column names cannot be bound; every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import duckdb
import pyarrow.compute as pc

from etl.batch import REC, EntitySpec, FlatBatch


def q(name: str) -> str:
    """Quote a (possibly schema-qualified) identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _stage_name(table: str) -> str:
    return "stg_" + table.replace(".", "__")


@dataclass
class EntityResult:
    rows: dict[str, int] = field(default_factory=dict)
    partitions: dict[str, set[str]] = field(default_factory=dict)


def _newer(left: str, right: str, version: Sequence[str]) -> str:
    """SQL: ``left`` has a strictly greater version tuple than ``right``."""
    clauses = []
    for i, col in enumerate(version):
        equal = [f"{left}.{q(c)} = {right}.{q(c)}" for c in version[:i]]
        clauses.append("(" + " AND ".join([*equal, f"{left}.{q(col)} > {right}.{q(col)}"]) + ")")
    return " OR ".join(clauses) if clauses else "FALSE"


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a schema-qualified table, in table order."""
    schema, name = table.split(".")
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [schema, name],
    ).fetchall()
    if not rows:
        raise LookupError(f"table {table} does not exist in the warehouse")
    return [r[0] for r in rows]


def _partition_values(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()
) -> set[str]:
    return {"" if v is None else str(v) for (v,) in con.execute(sql, list(params)).fetchall()}


def upsert_entity(
    con: duckdb.DuckDBPyConnection,
    spec: EntitySpec,
    batch: FlatBatch,
    *,
    load_id: str,
    loaded_at: dt.datetime,
) -> EntityResult:
    """Merge one entity's staged tables into the warehouse. Call inside a transaction."""
    result = EntityResult()
    parent_rows = batch.table(spec.table)
    if parent_rows.num_rows == 0:
        return result
    for table in spec.tables:
        con.register(_stage_name(table), batch.table(table))
    try:
        _merge(con, spec, batch, result, load_id=load_id, loaded_at=loaded_at)
    finally:
        unregister_quietly(con, [_stage_name(t) for t in spec.tables])
    return result


def unregister_quietly(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Drop staging views. In a transaction DuckDB has already aborted this raises an error of
    its own, which must not hide the one that aborted it: the caller rolls back anyway."""
    for name in names:
        with suppress(duckdb.Error):
            con.unregister(name)


def _merge(
    con: duckdb.DuckDBPyConnection,
    spec: EntitySpec,
    batch: FlatBatch,
    result: EntityResult,
    *,
    load_id: str,
    loaded_at: dt.datetime,
) -> None:
    key = ", ".join(q(k) for k in spec.key)
    order = ", ".join([*(f"{q(v)} DESC" for v in spec.version), f"{q(REC)} DESC"])
    stage = _stage_name(spec.table)
    join_key = " AND ".join(f"t.{q(k)} = w.{q(k)}" for k in spec.key)
    part = spec.partition_column
    # Winners: the newest version per key in the batch, unless the table holds a newer one.
    # Only the key and _rec are kept: that is all the DELETE and the INSERTs need.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _winners AS
        SELECT {", ".join(f"w.{q(k)}" for k in spec.key)}, w.{q(REC)} FROM (
            SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS _rank
            FROM {stage}
        ) w
        WHERE w._rank = 1
          AND NOT EXISTS (
            SELECT 1 FROM {q(spec.table)} t WHERE {join_key} AND ({_newer("t", "w", spec.version)})
          )
    """)
    # Partitions the replaced rows lived in (a re-checkout can move a bill to another day);
    # none at all means no stored parent row is replaced, so no stored child row either:
    # children are only ever written and deleted with their parent.
    replaced = _partition_values(
        con,
        f"SELECT DISTINCT {'t.' + q(part) if part else 'NULL'} FROM {q(spec.table)} t "
        f"JOIN _winners w ON {join_key}",
    )
    for table in spec.tables:
        touched: set[str] = set()
        if replaced:
            if table == spec.table or part is None:
                touched = replaced
            else:
                old = f"SELECT DISTINCT t.{q(part)} FROM {q(table)} t JOIN _winners w ON {join_key}"
                touched = _partition_values(con, old)
            con.execute(f"DELETE FROM {q(table)} t USING _winners w WHERE {join_key}")
        ((inserted,),) = con.execute(
            f"INSERT INTO {q(table)} BY NAME "
            f"SELECT s.* EXCLUDE ({q(REC)}), $load_id AS load_id, $loaded_at AS loaded_at "
            f"FROM {_stage_name(table)} s SEMI JOIN _winners w ON s.{q(REC)} = w.{q(REC)}",
            {"load_id": load_id, "loaded_at": loaded_at},
        ).fetchall()
        result.rows[table] = int(inserted)
        if part is None:
            touched = {""} if inserted or replaced else set()
        elif inserted:
            # Partitions of the new rows: every value in the staged rows, a superset when a
            # losing duplicate in the batch sits on another day (an extra rewrite, never a
            # missed one), read from Arrow rather than by another query.
            values = pc.unique(batch.table(table).column(part)).to_pylist()
            touched |= {"" if v is None else str(v) for v in values}
        if touched:
            result.partitions[table] = touched
    con.execute("DROP TABLE _winners")
