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


_WINNERS = "_winners"
"""The winning staged parent rows of an entity's merge (key, version, ``_rec``, load_id),
registered from Arrow for the statements that join them with stored rows."""

_WINS = "_wins"
"""The staged rows' mask column, when some of them lose (see :func:`_winning_masks`)."""


LakePart = tuple[str, str]
"""A Parquet file of the lake: ``(partition value, file value)`` of a table, each "" when the
table has no such column (see :class:`~etl.batch.EntitySpec`)."""


@dataclass(frozen=True)
class Inserted:
    """The staged rows of a table and which of them the merge inserted: all of them when
    ``mask`` is None, else those where it is true. Kept unfiltered: the INSERT filters as it
    reads (no copy), and a consumer that needs them as a table pays for the copy on its own
    thread (:meth:`table`)."""

    rows: pa.Table
    mask: pa.ChunkedArray | None = None

    def table(self) -> pa.Table:
        """The inserted rows as a table of their own (a copy when some rows lost)."""
        return self.rows if self.mask is None else self.rows.filter(self.mask)


@dataclass
class EntityResult:
    """What an entity's merge wrote, per load unit (``load_id``) of the staged rows."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    """load_id -> table -> rows inserted."""
    partitions: dict[str, dict[str, set[LakePart]]] = field(default_factory=dict)
    """load_id -> table -> lake files written or replaced."""
    replaced: dict[str, set[LakePart]] = field(default_factory=dict)
    """table -> lake files that held stored rows this merge deleted (replaced or moved)."""
    written: dict[str, Inserted] = field(default_factory=dict)
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


def _staged_parts(spec: EntitySpec, inserted: Inserted) -> set[LakePart]:
    """The lake files of inserted rows, from Arrow (no query). A file column comes with a
    partition column (:class:`~etl.batch.EntitySpec` checks it)."""
    if spec.partition_column is None:
        return {("", "")}
    columns = [spec.partition_column, *([spec.file_column] if spec.file_column else [])]
    found = _where(spec, inserted, load_id=False).group_by(columns).aggregate([])
    values = found.column(spec.partition_column).to_pylist()
    files = found.column(spec.file_column).to_pylist() if spec.file_column else [None] * len(values)
    return {(_text(value), _text(file)) for value, file in zip(values, files, strict=True)}


def _newest_per_key(spec: EntitySpec, parents: pa.Table) -> pa.Table:
    """The staged parent row of each key with the greatest version (ties: the greater
    ``_rec``, the later record; NULL versions rank last, as DuckDB orders them
    descending): the key, version, ``_rec`` and ``load_id`` columns of one row per key.

    In Arrow, not as a window function in DuckDB: sorting a stack's keys costs a few
    milliseconds, where a temp table built by ``row_number()`` over the staged rows was
    a tenth of the loading thread's merges (measured on the bench's 200k-bill replay)."""
    rows = parents.select(list(dict.fromkeys([*spec.key, *spec.version, REC, LOAD_ID])))
    if rows.num_rows <= 1:
        return rows
    order = [
        *((k, "ascending", "at_end") for k in spec.key),
        # a version column in the key has one value per key: nothing to order by
        *((v, "descending", "at_end") for v in (*spec.version, REC) if v not in spec.key),
    ]
    rows = rows.take(pc.sort_indices(rows, sort_keys=order))
    same_key = pa.repeat(pa.scalar(True), rows.num_rows - 1)  # row i+1 has row i's key
    for k in spec.key:
        values = rows.column(k).combine_chunks()
        after, before = values.slice(1), values.slice(0, len(values) - 1)
        equal = pc.or_kleene(pc.equal(after, before), pc.and_(after.is_null(), before.is_null()))
        same_key = pc.and_(same_key, equal.fill_null(False))
    return rows.filter(pa.concat_arrays([pa.array([True]), pc.invert(same_key)]))


def _winning_masks(
    spec: EntitySpec, tables: Mapping[str, pa.Table], recs: pa.Array | pa.ChunkedArray
) -> dict[str, pa.ChunkedArray | None]:
    """Which staged rows of the entity are written, per table (None: every row): a parent
    row wins when ``recs`` (the winners' records) holds its record, a child row when it
    comes from a winning parent's record (``_rec``), never from a losing duplicate.

    A mask, not a filtered copy: the INSERT reads the staged rows through it (DuckDB skips
    the losers as it scans, with no join), and what each unit writes is counted over the
    few columns that say where rows go. Copying every column of every table of a stack
    that held a re-checkout (most do) was a sixth of the loading thread's time (measured on
    the bench's 200k-bill replay on 2 cores: 1.3 s of its 9.5 s)."""
    masks: dict[str, pa.ChunkedArray | None] = {}
    for table in spec.tables:
        rows = tables[table]
        mask = pc.is_in(rows.column(REC), value_set=recs) if rows.num_rows else None
        masks[table] = None if mask is None or pc.all(mask).as_py() else mask
    return masks


def _where(spec: EntitySpec, inserted: Inserted, *, load_id: bool) -> pa.Table:
    """The columns saying where the inserted rows go (``load_id`` when asked, the partition
    and file columns), of the inserted rows only: the mask applied to those columns alone."""
    names = [*([LOAD_ID] if load_id else []), spec.partition_column, spec.file_column]
    where = Inserted(inserted.rows.select([c for c in names if c]), inserted.mask)
    return where.table()


def _staged_by_load(spec: EntitySpec, inserted: Inserted) -> list[tuple[str, LakePart, int]]:
    """``(load_id, lake file, rows)`` of inserted rows, from Arrow (as :func:`_by_load`)."""
    columns = [LOAD_ID, *(c for c in (spec.partition_column, spec.file_column) if c)]
    found = _where(spec, inserted, load_id=True).group_by(columns).aggregate([([], "count_all")])
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
        unregister_quietly(con, [_WINNERS, *(_stage_name(t) for t in spec.tables)])
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
    join_key = " AND ".join(f"t.{q(k)} = w.{q(k)}" for k in spec.key)
    split = spec.partition_column is not None or spec.file_column is not None

    def part_of(alias: str) -> str:
        """The partition value and file value of a row, as two columns."""
        return ", ".join(
            f"{alias}.{q(c)}" if c else "NULL" for c in (spec.partition_column, spec.file_column)
        )

    # Winners: the newest version per key in the stack, unless the table holds a newer one.
    # Ties go to the greater _rec, the later record: in a stack of units, the later unit.
    # The stored rows sharing a key with the stack's newest are asked of DuckDB in one join
    # (a backfill into new dates has none): the newer ones make their key's staged row lose.
    candidates = _newest_per_key(spec, tables[spec.table])
    con.register(_WINNERS, candidates)
    stored = con.execute(
        f"SELECT w.{q(REC)}, ({_newer('t', 'w', spec.version)}) IS TRUE "
        f"FROM {q(spec.table)} t JOIN {_WINNERS} w ON {join_key}"
    ).fetchall()
    losers = {rec for rec, newer in stored if newer}
    winners = candidates
    if losers:
        recs = pa.array(sorted(losers), candidates.schema.field(REC).type)
        lost = pc.is_in(candidates.column(REC), value_set=recs)
        winners = candidates.filter(pc.invert(lost))
        con.register(_WINNERS, winners)
    # Partitions the replaced rows lived in (a re-checkout can move a bill to another day),
    # per unit replacing them; none at all means no stored parent row is replaced, so no
    # stored child row either: children are only ever written and deleted with their parent.
    replaced_sql = (
        f"SELECT w.load_id, {part_of('t')}, count(*) "
        f"FROM {{table}} t JOIN {_WINNERS} w ON {join_key} GROUP BY ALL"
    )
    replaced = []
    if any(rec not in losers for rec, _ in stored):
        replaced = _by_load(con, replaced_sql.format(table=q(spec.table)))
    masks = _winning_masks(spec, tables, winners.column(REC))
    for table in spec.tables:
        if replaced:
            old = replaced
            if table != spec.table and split:
                old = _by_load(con, replaced_sql.format(table=q(table)))
            for load_id, lake_part, _ in old:
                result.add(load_id, table, {lake_part})
                result.replaced.setdefault(table, set()).add(lake_part)
            con.execute(f"DELETE FROM {q(table)} t USING {_WINNERS} w WHERE {join_key}")
        inserted = Inserted(tables[table], masks[table])
        expected, drop, where = inserted.rows.num_rows, q(REC), ""
        if inserted.mask is not None:  # the staged rows with their mask, read through it
            expected = int(pc.sum(inserted.mask).as_py() or 0)
            con.register(_stage_name(table), inserted.rows.append_column(_WINS, inserted.mask))
            drop, where = f"{q(REC)}, {q(_WINS)}", f" WHERE s.{q(_WINS)}"
        ((count,),) = con.execute(
            f"INSERT INTO {q(table)} BY NAME SELECT s.* EXCLUDE ({drop}), "
            f"$loaded_at AS loaded_at FROM {_stage_name(table)} s{where}",
            {"loaded_at": loaded_at},
        ).fetchall()
        if count != expected:
            raise RuntimeError(f"{table}: inserted {count} rows of {expected} winning")
        if keep_rows:
            result.written[table] = inserted
        if only is None:  # what each unit wrote, and where: counted in Arrow
            for load_id, lake_part, n in _staged_by_load(spec, inserted):
                result.add(load_id, table, {lake_part}, n)
        elif count:
            result.add(only, table, _staged_parts(spec, inserted), int(count))
