"""The Parquet lake beside DuckDB: one file per table and business date (and, for a table
with a file column, per value of it), replaced atomically.

Layout: ``lake/<schema>/<table>/business_date=YYYY-MM-DD/data.parquet`` (hive style, the
partition column lives in the path only), or ``lake/<schema>/<table>/data.parquet`` for an
unpartitioned table. A table split by a file column (Pospal: ``account``) keeps one file per
value in its date folder instead, ``business_date=YYYY-MM-DD/account-<name>.parquet``, the
column kept in the file: a nightly run of one store's day rewrites that store's file, not the
whole chain's day (which made a night's rewrites grow with the square of the stores). Either
way ``<table>/*/*.parquet`` reads a dated table whole.

A load marks the files it changed in ``meta.lake_dirty`` inside its transaction;
:func:`sync_lake` rewrites each from DuckDB (write a temp file, fsync, rename over the old one)
and then clears the mark. A crash in between leaves the mark, and the next sync finishes the
job, so the lake converges to DuckDB and a reader never sees half a file.

This module holds the marks and the sync; :mod:`etl.warehouse.lake_files` the layout
and the writing of a partition's files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import suppress
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.batch import EntitySpec
from etl.warehouse.lake_files import write_files, write_partition
from etl.warehouse.upsert import LakePart

log = logging.getLogger(__name__)

LakeColumns = tuple[str | None, str | None]
"""A table's partition column and file column (see :class:`~etl.batch.EntitySpec`)."""


def lake_columns(entities: Iterable[EntitySpec]) -> dict[str, LakeColumns]:
    """Each table of ``entities`` with its partition column and file column."""
    return {
        table: (spec.partition_column, spec.file_column)
        for spec in entities
        for table in spec.tables
    }


_MARK_COLUMNS = (
    "table_name",
    "partition_column",
    "partition_value",
    "marked_by",
    "file_column",
    "file_value",
)


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


def _out_of_memory(exc: BaseException | None) -> bool:
    """DuckDB's out-of-memory error: raised as itself, or mid-stream through Arrow's batch
    reader as an OSError carrying DuckDB's message."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return True
    return isinstance(exc, OSError) and "Out of Memory Error" in str(exc)


Partition = tuple[str, str | None, str]
"""A lake partition: ``(table, partition column, partition value)``."""

PartitionFiles = dict[Partition, tuple[str | None, set[str | None]]]
"""Per partition: its file column (None: one file) and the file values marked (a None among
them: every file)."""

_MARKS_SQL = (
    "SELECT DISTINCT table_name, partition_column, partition_value, file_column, file_value "
    "FROM meta.lake_dirty"
)


def dirty_partitions(
    con: duckdb.DuckDBPyConnection, where: str = "", params: list[object] | None = None
) -> PartitionFiles:
    """The partitions marked in ``meta.lake_dirty`` (``where``: of some only), in order, each
    with its file column and marked file values. A mark without a file column, queued before
    the table was split, makes it "every file"."""
    sql = f"{_MARKS_SQL}{f' WHERE {where}' if where else ''} ORDER BY ALL"
    partitions: PartitionFiles = {}
    for table, column, value, file_column, file_value in con.execute(sql, params or []).fetchall():
        split, values = partitions.get((table, column, value), (None, set()))
        values.add(file_value if file_column is not None else None)
        partitions[table, column, value] = (split or file_column, values)
    return partitions


def rewrite_partition(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    part: Partition,
    files: tuple[str | None, set[str | None]],
) -> None:
    """Rewrite the marked files of one partition from DuckDB (marks left as they are)."""
    table, column, value = part
    file_column, values = files
    if file_column is None:
        write_partition(con, lake_dir, table, column, value)
    else:
        wanted = None if None in values else {v for v in values if v is not None}
        write_files(con, lake_dir, table, column, value, file_column, wanted)


def clear_marks(con: duckdb.DuckDBPyConnection, parts: Iterable[tuple[str, str]]) -> None:
    """Forget the marks of partitions, given as ``(table, partition value)``, in one
    statement: their files are durable and hold what DuckDB holds."""
    keys = list(parts)
    if keys:
        con.execute(
            "DELETE FROM meta.lake_dirty d USING (SELECT unnest(?) AS t, unnest(?) AS v) k "
            "WHERE d.table_name = k.t AND d.partition_value = k.v",
            [[table for table, _ in keys], [value for _, value in keys]],
        )


def sync_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path, *, threads: int = 1) -> int:
    """Rewrite every file marked dirty, one query per table and partition, ``threads``
    partitions at a time (each on its own cursor: DuckDB streams one while Arrow compresses
    another); returns how many partitions were rewritten. The marks of the partitions
    rewritten are cleared once their files are durable, in one statement at the end (a
    statement per partition was a tenth of a replay's lake time), or as the sync stops on a
    failure. A partition that ran out of DuckDB memory beside the others is rewritten again
    alone at the end (sorting a busy date can need most of a small ``memory_limit``); any
    other failure stops the rest and raises (further failures are logged), their marks
    kept."""
    partitions = dirty_partitions(con)
    synced: list[Partition] = []
    try:
        _sync(con, lake_dir, partitions, threads, synced.append)
    except BaseException:
        with suppress(duckdb.Error):  # keep what was done; never hide the failure
            clear_marks(con, [(table, value) for table, _, value in synced])
        raise
    # Every mark of these partitions is synced: only this process adds marks, not meanwhile.
    clear_marks(con, [(table, value) for table, _, value in synced])
    return len(partitions)


def _sync(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    partitions: PartitionFiles,
    threads: int,
    done: Callable[[Partition], None],
) -> None:
    """:func:`sync_lake`'s rewrites; ``done`` is told of each partition once durable."""

    def rewrite(part: Partition) -> None:
        with con.cursor() as cursor:  # in the thread, as DuckDB's Python API documents
            rewrite_partition(cursor, lake_dir, part, partitions[part])

    if threads <= 1 or len(partitions) <= 1:
        for part in partitions:
            rewrite(part)
            done(part)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="lake")
    futures: dict[Future[None], Partition] = {}
    raised: Future[None] | None = None
    alone: list[Partition] = []
    try:
        futures = {pool.submit(rewrite, part): part for part in partitions}
        for future in as_completed(futures):
            if _out_of_memory(future.exception()):
                alone.append(futures[future])  # sorts beside another outgrew memory_limit
                continue
            raised = future
            future.result()
            raised = None
            done(futures[future])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for future, (table, _, value) in futures.items():
            if future is not raised and not future.cancelled() and future.exception():
                again = futures[future] in alone
                log.log(
                    logging.INFO if again else logging.ERROR,
                    "lake rewrite of %s %s failed%s: %s",
                    table,
                    value,
                    ", rewriting it alone" if again else "",
                    future.exception(),
                )
    for part in sorted(alone, key=str):  # again, one at a time: DuckDB's whole memory each
        rewrite(part)
        done(part)
