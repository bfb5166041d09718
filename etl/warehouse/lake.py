"""The Parquet lake beside DuckDB: one file per table and business date (and, for a table
with a file column, per value of it), replaced atomically.

Layout: ``lake/<schema>/<table>/business_date=YYYY-MM-DD/data.parquet`` (hive style, the
partition column lives in the path only), or ``lake/<schema>/<table>/data.parquet`` for an
unpartitioned table. A table split by a file column (Pospal: ``account``) keeps one file per
value in its date folder instead, ``business_date=YYYY-MM-DD/account-<name>.parquet``, the
column kept in the file: a nightly run of one store's day rewrites that store's file, not the
whole chain's day (which made a night's rewrites grow with the square of the stores). Either
way ``<table>/*/*.parquet`` reads the whole table.

A load marks the files it changed in ``meta.lake_dirty`` inside its transaction;
:func:`sync_lake` rewrites each from DuckDB (write a temp file, fsync, rename over the old one)
and then clears the mark. A crash in between leaves the mark, and the next sync finishes the
job, so the lake converges to DuckDB and a reader never sees half a file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from glob import escape as glob_escape
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from etl.batch import EntitySpec
from etl.chaos.hooks import kill_point
from etl.raw import fsync_dir
from etl.warehouse.upsert import LakePart, q, table_columns

WHOLE_FILE = "data.parquet"
"""The one file of a partition (or of an unpartitioned table) with no file column."""

LakeColumns = tuple[str | None, str | None]
"""A table's partition column and file column (see :class:`~etl.batch.EntitySpec`)."""


def lake_columns(entities: Iterable[EntitySpec]) -> dict[str, LakeColumns]:
    """Each table of ``entities`` with its partition column and file column."""
    return {
        table: (spec.partition_column, spec.file_column)
        for spec in entities
        for table in spec.tables
    }


def partition_folder(lake_dir: Path, table: str, column: str | None, value: str) -> Path:
    schema, name = table.split(".")
    folder = lake_dir / schema / name
    if column is not None and value != "":
        folder = folder / f"{column}={value}"
    return folder


def partition_file(
    lake_dir: Path,
    table: str,
    column: str | None,
    value: str,
    file_column: str | None = None,
    file_value: str = "",
) -> Path:
    folder = partition_folder(lake_dir, table, column, value)
    if file_column is None:
        return folder / WHOLE_FILE
    # Account names are already path-safe; quoting keeps any other value inside its folder.
    return folder / f"{file_column}-{quote(file_value, safe='')}.parquet"


def mark_dirty(
    con: duckdb.DuckDBPyConnection,
    marks: Mapping[tuple[str, LakePart], str],
    columns: Mapping[str, LakeColumns],
) -> None:
    """Mark lake files for rewrite, inside the caller's transaction (one statement).

    ``marks`` maps ``(table, (partition value, file value))`` to the load that changed it;
    ``columns`` gives each table's partition and file column."""
    if not marks:
        return
    rows = list(marks.items())
    staged = pa.table(
        {
            "table_name": [table for (table, _), _ in rows],
            "partition_column": [columns[table][0] for (table, _), _ in rows],
            "partition_value": [value for (_, (value, _)), _ in rows],
            "marked_by": [load_id for _, load_id in rows],
            "file_column": [columns[table][1] for (table, _), _ in rows],
            "file_value": [file for (_, (_, file)), _ in rows],
        },
        schema=pa.schema([(name, pa.string()) for name in _MARK_COLUMNS]),
    )
    con.register("_lake_marks", staged)
    try:
        con.execute(
            "INSERT INTO meta.lake_dirty BY NAME SELECT m.* FROM _lake_marks m "
            "WHERE NOT EXISTS (SELECT 1 FROM meta.lake_dirty d WHERE d.table_name = m.table_name "
            "AND d.partition_value = m.partition_value AND d.file_value = m.file_value)"
        )
    finally:
        con.unregister("_lake_marks")


_MARK_COLUMNS = (
    "table_name",
    "partition_column",
    "partition_value",
    "marked_by",
    "file_column",
    "file_value",
)


BATCH_ROWS = 100_000
"""Rows per Arrow batch streamed from DuckDB into a Parquet file (bounds a rewrite's memory:
a busy business date of bill details is millions of rows)."""


def _write_atomically(rows: pa.RecordBatchReader, target: Path, *, keep_empty: bool) -> int:
    """Stream ``rows`` into ``target``; returns the rows written. The old file stays whole
    until the new one is complete and durable. No rows and not ``keep_empty``: the old file
    (and its folder, once empty) is removed instead."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    written = 0
    try:
        with pq.ParquetWriter(tmp, rows.schema, compression="zstd") as writer:
            for batch in rows:
                writer.write_batch(batch)
                written += batch.num_rows
        if written == 0 and not keep_empty:
            target.unlink(missing_ok=True)
            tmp.unlink()
            if not any(target.parent.iterdir()):
                target.parent.rmdir()
            return 0
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        kill_point("parquet")
        os.replace(tmp, target)
        # The rename must be durable before meta.lake_dirty forgets the partition.
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def write_partition(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    table: str,
    column: str | None,
    value: str,
    file_column: str | None = None,
    file_value: str | None = "",
) -> int:
    """Rewrite one lake file from DuckDB, streamed in batches; remove it when it has no rows
    left. Returns the rows written.

    A split table's partition is rewritten file by file, every file of it, when
    ``file_value`` is None (a mark queued before the table was split) or when its folder still
    holds a whole-day file from before the split. That file goes only after every new one is
    durable, so a crash in between leaves rows twice until the mark, still queued, is synced
    again at the next open; never missing."""
    if file_column is None:
        return _rewrite(con, lake_dir, table, column, value, None, "")
    folder = partition_folder(lake_dir, table, column, value)
    whole = folder / WHOLE_FILE
    if file_value is not None and not whole.exists():
        return _rewrite(con, lake_dir, table, column, value, file_column, file_value)
    sql, params = f"SELECT DISTINCT {q(file_column)} FROM {q(table)}", []
    if column is not None and value != "":
        sql, params = f"{sql} WHERE {q(column)} = ?", [value]
    values = {str(v) for (v,) in con.execute(sql, params).fetchall()}
    prefix = f"{file_column}-"
    values |= {  # files of values no longer in the table: rewritten empty, so removed
        unquote(path.name[len(prefix) : -len(".parquet")])
        for path in folder.glob(f"{glob_escape(prefix)}*.parquet")
    }
    written = 0
    for v in sorted(values | ({file_value} if file_value is not None else set())):
        written += _rewrite(con, lake_dir, table, column, value, file_column, v)
    if whole.exists():
        whole.unlink()
        fsync_dir(folder)
    return written


def _rewrite(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    table: str,
    column: str | None,
    value: str,
    file_column: str | None,
    file_value: str,
) -> int:
    target = partition_file(lake_dir, table, column, value, file_column, file_value)
    select, where, params = f"SELECT * FROM {q(table)}", [], []
    if column is not None and value != "":
        select = f"SELECT * EXCLUDE ({q(column)}) FROM {q(table)}"
        where.append(f"{q(column)} = ?")
        params.append(value)
    if file_column is not None:
        where.append(f"{q(file_column)} = ?")
        params.append(file_value)
    if where:
        select += " WHERE " + " AND ".join(where)
    reader = con.sql(f"{select} ORDER BY ALL", params=params).to_arrow_reader(BATCH_ROWS)
    try:
        return _write_atomically(reader, target, keep_empty=column is None and file_column is None)
    finally:
        # A rewrite that failed half way (disk full) must not leave the result open: DuckDB
        # refuses every further query on the connection until it is closed.
        reader.close()


def remove_stale_temp_files(lake_dir: Path) -> int:
    """Delete temp files a killed rewrite left behind. Only the process holding the DuckDB
    write lock rewrites the lake, so at open time every temp file is stale."""
    stale = list(lake_dir.rglob(".*.tmp")) if lake_dir.exists() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def sync_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> int:
    """Rewrite every file marked dirty; returns how many marks were synced."""
    dirty = con.execute(
        "SELECT DISTINCT table_name, partition_column, partition_value, file_column, file_value "
        "FROM meta.lake_dirty ORDER BY ALL"
    ).fetchall()
    for table, column, value, file_column, file_value in dirty:
        write_partition(con, lake_dir, table, column, value, file_column, file_value)
        con.execute(
            "DELETE FROM meta.lake_dirty WHERE table_name = ? AND partition_value = ? "
            "AND file_value IS NOT DISTINCT FROM ?",
            [table, value, file_value],
        )
    return len(dirty)


def lake_differences(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, table: str, column: str | None
) -> int:
    """Rows in DuckDB but not in the lake, plus rows in the lake but not in DuckDB (0: equal).
    Compares as multisets (EXCEPT ALL), column by column, lineage included."""
    schema, name = table.split(".")
    folder, files = lake_dir / schema / name, ("*/*.parquet" if column else WHOLE_FILE)
    ours = f"SELECT * FROM {q(table)}"
    if not any(folder.glob(files)):
        return _count(con, ours, [])
    cols = ", ".join(q(c) for c in table_columns(con, table))
    hive = "true" if column else "false"
    lake = f"SELECT {cols} FROM read_parquet(?, hive_partitioning = {hive})"
    return _both_ways(con, f"SELECT {cols} FROM {q(table)}", [], lake, folder / files)


def partition_differences(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    table: str,
    column: str,
    value: str,
    file_column: str | None = None,
    file_value: str | None = None,
) -> int:
    """Like :func:`lake_differences`, for one partition only (cheap enough after every load):
    rows of ``table`` with ``column = value`` against the Parquet files of that partition;
    with a file value, only the rows with ``file_column = file_value``, against their file."""
    folder = partition_folder(lake_dir, table, column, value)
    cols = ", ".join(q(c) for c in table_columns(con, table) if c != column)
    ours, params = f"SELECT {cols} FROM {q(table)} WHERE {q(column)} = ?", [value]
    lake = f"SELECT {cols} FROM read_parquet(?)"
    if file_column is None or file_value is None:
        files = folder / "*.parquet"
        found = any(folder.glob(files.name))
        return _both_ways(con, ours, params, lake, files) if found else _count(con, ours, params)
    ours += f" AND {q(file_column)} = ?"
    params.append(file_value)
    if (folder / WHOLE_FILE).exists():  # not split yet: the whole day's file holds its rows
        lake += f" WHERE {q(file_column)} = ?"
        return _both_ways(con, ours, params, lake, folder / WHOLE_FILE, [file_value])
    target = partition_file(lake_dir, table, column, value, file_column, file_value)
    return (
        _both_ways(con, ours, params, lake, target)
        if target.exists()
        else _count(con, ours, params)
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[str]) -> int:
    return int(con.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()[0][0])


def _both_ways(
    con: duckdb.DuckDBPyConnection,
    ours: str,
    params: list[str],
    lake: str,
    files: Path,
    lake_params: list[str] | None = None,
) -> int:
    """Rows of ``ours`` missing from ``lake`` (read from ``files``) plus rows of ``lake``
    missing from ``ours``, as multisets."""
    theirs = [str(files), *(lake_params or [])]
    ((count,),) = con.execute(
        f"SELECT (SELECT count(*) FROM ({ours} EXCEPT ALL {lake})) + "
        f"(SELECT count(*) FROM ({lake} EXCEPT ALL {ours}))",
        [*params, *theirs, *theirs, *params],
    ).fetchall()
    return int(count)
