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
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl.batch import LOAD_ID, REC, EntitySpec


def q(name: str) -> str:
    """Quote a (possibly schema-qualified) identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _stage_name(table: str) -> str:
    return "stg_" + table.replace(".", "__")


LakePart = tuple[str, str]
"""A Parquet file of the lake: ``(partition value, file value)`` of a table, each "" when the
table has no such column (see :class:`~etl.batch.EntitySpec`)."""


@dataclass
class EntityResult:
    """What an entity's merge wrote, per load unit (``load_id``) of the staged rows."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    """load_id -> table -> rows inserted."""
    partitions: dict[str, dict[str, set[LakePart]]] = field(default_factory=dict)
    """load_id -> table -> lake files written or replaced."""
    replaced: dict[str, set[LakePart]] = field(default_factory=dict)
    """table -> lake files that held stored rows this merge deleted (replaced or moved)."""
    written: dict[str, pa.Table] = field(default_factory=dict)
    """table -> the staged rows inserted (``_rec`` and ``load_id`` included, ``loaded_at``
    not), kept only when asked (``keep_rows``): a lake written from Arrow
    (:mod:`etl.warehouse.lake_append`) takes them."""

    def add(self, load_id: str, table: str, partitions: set[LakePart], rows: int = 0) -> None:
        if rows:
            counts = self.rows.setdefault(load_id, {})
            counts[table] = counts.get(table, 0) + rows
        if partitions:
            self.partitions.setdefault(load_id, {}).setdefault(table, set()).update(partitions)


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


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _by_load(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, LakePart, int]]:
    """``(load_id, lake file, rows)`` from a query selecting load_id, partition value, file
    value and rows."""
    return [
        (load_id, (_text(value), _text(file)), int(rows))
        for load_id, value, file, rows in con.execute(sql).fetchall()
    ]


def _staged_parts(spec: EntitySpec, rows: pa.Table) -> set[LakePart]:
    """The lake files of staged rows, from Arrow (no query). A file column comes with a
    partition column (:class:`~etl.batch.EntitySpec` checks it)."""
    if spec.partition_column is None:
        return {("", "")}
    columns = [spec.partition_column, *([spec.file_column] if spec.file_column else [])]
    found = rows.group_by(columns).aggregate([])
    values = found.column(spec.partition_column).to_pylist()
    files = found.column(spec.file_column).to_pylist() if spec.file_column else [None] * len(values)
    return {(_text(value), _text(file)) for value, file in zip(values, files, strict=True)}


def _winning_rows(
    con: duckdb.DuckDBPyConnection, spec: EntitySpec, tables: Mapping[str, pa.Table]
) -> tuple[dict[str, pa.Table], bool]:
    """The staged rows of the entity that are written, filtered in Arrow, and whether that is
    every staged row: a parent row wins when ``_winners`` holds its record (the newest
    version of its key in the stack, not older than the table's), a child row when it comes
    from a winning parent's record (``_rec``), never from a losing duplicate. The INSERTs
    then read the rows as they are, with no join, and what each unit writes is counted in
    Arrow rather than asked of DuckDB (measured on a replay with re-checkouts in every
    stack: a join per INSERT and a count per table were a fifth of the merge)."""
    recs = con.sql(f"SELECT {q(REC)} FROM _winners").to_arrow_table().column(REC)
    winning: dict[str, pa.Table] = {}
    every_row_wins = True
    for table in spec.tables:
        rows = tables[table]
        mask = pc.is_in(rows.column(REC), value_set=recs)
        if rows.num_rows and not pc.all(mask).as_py():
            rows, every_row_wins = rows.filter(mask), False
        winning[table] = rows
    return winning, every_row_wins


def _staged_by_load(spec: EntitySpec, rows: pa.Table) -> list[tuple[str, LakePart, int]]:
    """``(load_id, lake file, rows)`` of staged rows, from Arrow (as :func:`_by_load`)."""
    columns = [LOAD_ID, *(c for c in (spec.partition_column, spec.file_column) if c)]
    found = rows.group_by(columns).aggregate([([], "count_all")])
    count = found.column("count_all").to_pylist()
    loads = found.column(LOAD_ID).to_pylist()
    none: list[None] = [None] * found.num_rows

    def values(column: str | None) -> list[object]:
        return found.column(column).to_pylist() if column else list(none)

    parts = zip(values(spec.partition_column), values(spec.file_column), strict=True)
    return [
        (load_id, (_text(value), _text(file)), int(n))
        for load_id, (value, file), n in zip(loads, parts, count, strict=True)
    ]


def upsert_entity(
    con: duckdb.DuckDBPyConnection,
    spec: EntitySpec,
    tables: Mapping[str, pa.Table],
    *,
    loaded_at: dt.datetime,
    only: str | None = None,
    keep_rows: bool = False,
) -> EntityResult:
    """Merge one entity's staged tables into the warehouse. Call inside a transaction.

    ``tables`` maps each of ``spec.tables`` to its staged rows: the table's columns, ``_rec``
    (unique in the stack, in record order) and ``load_id``, the load unit each row comes from.
    Several units' rows may be stacked (see :func:`etl.batch.stack`): the merge rule is then
    the one loading them one after another would apply, and what each unit wrote is reported
    under its ``load_id``. ``only``: the one ``load_id`` of every staged row, when the caller
    knows it (a single unit); the rows and partitions it wrote are then taken from the INSERT
    and from Arrow rather than asked per unit (one query per table less: a nightly load is
    one unit at a time). ``keep_rows``: the rows inserted stay in
    :attr:`EntityResult.written`.
    """
    result = EntityResult()
    if tables[spec.table].num_rows == 0:
        return result
    for table in spec.tables:
        con.register(_stage_name(table), tables[table])
    try:
        _merge(con, spec, tables, result, loaded_at=loaded_at, only=only, keep_rows=keep_rows)
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
    tables: Mapping[str, pa.Table],
    result: EntityResult,
    *,
    loaded_at: dt.datetime,
    only: str | None,
    keep_rows: bool,
) -> None:
    key = ", ".join(q(k) for k in spec.key)
    order = ", ".join([*(f"{q(v)} DESC" for v in spec.version), f"{q(REC)} DESC"])
    stage = _stage_name(spec.table)
    join_key = " AND ".join(f"t.{q(k)} = w.{q(k)}" for k in spec.key)
    split = spec.partition_column is not None or spec.file_column is not None

    def part_of(alias: str) -> str:
        """The partition value and file value of a row, as two columns."""
        return ", ".join(
            f"{alias}.{q(c)}" if c else "NULL" for c in (spec.partition_column, spec.file_column)
        )

    # Winners: the newest version per key in the batch, unless the table holds a newer one.
    # Only the key, _rec and load_id are kept: that is all the DELETE and the INSERTs need.
    # Ties go to the greater _rec, the later record: in a stack of units, the later unit.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _winners AS
        SELECT {", ".join(f"w.{q(k)}" for k in spec.key)}, w.{q(REC)}, w.load_id FROM (
            SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS _rank
            FROM {stage}
        ) w
        WHERE w._rank = 1
          AND NOT EXISTS (
            SELECT 1 FROM {q(spec.table)} t WHERE {join_key} AND ({_newer("t", "w", spec.version)})
          )
    """)
    # Partitions the replaced rows lived in (a re-checkout can move a bill to another day),
    # per unit replacing them; none at all means no stored parent row is replaced, so no
    # stored child row either: children are only ever written and deleted with their parent.
    replaced_sql = (
        f"SELECT w.load_id, {part_of('t')}, count(*) "
        f"FROM {{table}} t JOIN _winners w ON {join_key} GROUP BY ALL"
    )
    replaced = _by_load(con, replaced_sql.format(table=q(spec.table)))
    winning, every_row_wins = _winning_rows(con, spec, tables)
    for table in spec.tables:
        if replaced:
            old = replaced
            if table != spec.table and split:
                old = _by_load(con, replaced_sql.format(table=q(table)))
            for load_id, lake_part, _ in old:
                result.add(load_id, table, {lake_part})
                result.replaced.setdefault(table, set()).add(lake_part)
            con.execute(f"DELETE FROM {q(table)} t USING _winners w WHERE {join_key}")
        rows = winning[table]
        if not every_row_wins:
            con.register(_stage_name(table), rows)  # the winning rows only, in place of all
        ((inserted,),) = con.execute(
            f"INSERT INTO {q(table)} BY NAME "
            f"SELECT s.* EXCLUDE ({q(REC)}), $loaded_at AS loaded_at FROM {_stage_name(table)} s",
            {"loaded_at": loaded_at},
        ).fetchall()
        if inserted != rows.num_rows:
            raise RuntimeError(f"{table}: inserted {inserted} rows of {rows.num_rows} winning")
        if keep_rows:
            result.written[table] = rows
        if only is None:  # what each unit wrote, and where: counted in Arrow
            for load_id, lake_part, count in _staged_by_load(spec, rows):
                result.add(load_id, table, {lake_part}, count)
        elif inserted:
            result.add(only, table, _staged_parts(spec, rows), int(inserted))
    con.execute("DROP TABLE _winners")
