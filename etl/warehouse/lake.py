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
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import suppress
from glob import escape as glob_escape
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.batch import EntitySpec
from etl.chaos.hooks import kill_point
from etl.raw import fsync_dir
from etl.warehouse.upsert import LakePart, q

log = logging.getLogger(__name__)

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


BATCH_ROWS = 100_000
"""Rows per Arrow batch streamed from DuckDB into a Parquet file (bounds a rewrite's memory:
a busy business date of bill details is millions of rows)."""


class _AtomicFile:
    """A Parquet file written under a temp name and renamed over ``target`` once complete and
    durable: the old file stays whole until then, and a failure leaves no temp file."""

    def __init__(self, target: Path, schema: pa.Schema) -> None:
        _make_folder(target.parent)
        self.target = target
        self.tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        self.rows = 0
        self._writer: pq.ParquetWriter | None = pq.ParquetWriter(
            self.tmp, schema, compression="zstd"
        )

    def write(self, batch: pa.RecordBatch) -> None:
        assert self._writer is not None
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def commit(self, *, sync_folder: bool = True) -> int:
        """Replace ``target``; returns the rows written. ``sync_folder=False``: the caller
        fsyncs the folder (once for all its files) before the marks are forgotten."""
        assert self._writer is not None
        self._writer.close()
        self._writer = None
        try:
            with open(self.tmp, "rb") as handle:
                os.fsync(handle.fileno())
            kill_point("parquet")
            os.replace(self.tmp, self.target)
            if sync_folder:  # the rename must be durable before meta.lake_dirty forgets it
                fsync_dir(self.target.parent)
        finally:
            self.tmp.unlink(missing_ok=True)
        return self.rows

    def abort(self) -> None:
        if self._writer is not None:
            with suppress(OSError, pa.ArrowException):
                self._writer.close()
            self._writer = None
        self.tmp.unlink(missing_ok=True)


def _make_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each made durable in its parent: a new date
    folder must not vanish in a power loss after its marks are cleared."""
    if folder.exists():
        return
    _make_folder(folder.parent)
    with suppress(FileExistsError):  # another lake thread made it meanwhile
        folder.mkdir()
    fsync_dir(folder.parent)


def _remove(target: Path) -> None:
    """Remove a file with no rows left, and its folder once empty, durably: a stale file must
    not come back after its marks are cleared."""
    if not target.exists():
        return
    target.unlink()
    folder = target.parent  # only this partition's rewrite touches its folder
    if any(folder.iterdir()):
        fsync_dir(folder)
    else:
        folder.rmdir()
        fsync_dir(folder.parent)


def _select(
    table: str, column: str | None, value: str, where: str = "", params: tuple[object, ...] = ()
) -> tuple[str, list[object]]:
    """A partition's rows, without the partition column (it lives in the folder name)."""
    if column is None or value == "":
        return f"SELECT * FROM {q(table)}{f' WHERE {where}' if where else ''}", list(params)
    sql = f"SELECT * EXCLUDE ({q(column)}) FROM {q(table)} WHERE {q(column)} = ?"
    return sql + (f" AND {where}" if where else ""), [value, *params]


def write_partition(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, table: str, column: str | None, value: str
) -> int:
    """Rewrite one partition's whole file from DuckDB, streamed in batches; remove it when the
    partition is empty (an unpartitioned table keeps its file, empty or not). Returns rows."""
    target = partition_file(lake_dir, table, column, value)
    sql, params = _select(table, column, value)
    reader = con.sql(f"{sql} ORDER BY ALL", params=params).to_arrow_reader(BATCH_ROWS)
    file = _AtomicFile(target, reader.schema)
    try:
        for batch in reader:
            file.write(batch)
        if file.rows == 0 and column is not None:
            file.abort()
            _remove(target)
            return 0
        return file.commit()
    finally:
        file.abort()  # a no-op once committed
        # A rewrite that failed half way (disk full) must not leave the result open: DuckDB
        # refuses every further query on the connection until it is closed.
        reader.close()


def write_files(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    table: str,
    column: str | None,
    value: str,
    file_column: str,
    file_values: set[str] | None,
) -> int:
    """Rewrite the files of ``file_values`` (None: every file) of one partition of a split
    table, in one query sorted by ``file_column``; a file with no rows left is removed.
    Returns the rows written.

    A folder that still holds a whole-day file from before the split gets every file of the
    day, then loses the old file: it goes only after every new one is durable, so a crash in
    between leaves rows twice until the marks, still queued, are synced again at the next
    open; never missing."""
    folder = partition_folder(lake_dir, table, column, value)
    whole = folder / WHOLE_FILE
    if file_values is None or whole.exists():
        sql, params = _select(table, column, value)
        found = con.execute(f"SELECT DISTINCT {q(file_column)} FROM ({sql})", params).fetchall()
        prefix = f"{file_column}-"
        present = {  # files of values no longer in the table: rewritten empty, so removed
            unquote(path.name[len(prefix) : -len(".parquet")])
            for path in folder.glob(f"{glob_escape(prefix)}*.parquet")
        }
        if any(v is None for (v,) in found):  # a file column is NOT NULL by contract
            raise ValueError(f"{table}: NULL {file_column} on {value}: no lake file to hold it")
        file_values = {str(v) for (v,) in found} | present | (file_values or set())
    sql, params = _select(
        table, column, value, f"{q(file_column)} IN (SELECT unnest(?))", (sorted(file_values),)
    )
    # Sorted by the file column first, so each file's rows arrive together; within a file
    # (one value of it) that is the order ORDER BY ALL gives, as for a whole-day file.
    rest = [c for c in con.sql(sql, params=params).columns if c != file_column]  # not run
    order = ", ".join(q(c) for c in (file_column, *rest))
    reader = con.sql(f"{sql} ORDER BY {order}", params=params).to_arrow_reader(BATCH_ROWS)
    written: dict[str, int] = {}
    file: _AtomicFile | None = None
    try:
        for batch in reader:
            runs = pc.run_end_encode(batch.column(file_column))
            start = 0
            for end, run_value in zip(
                runs.run_ends.to_pylist(), runs.values.to_pylist(), strict=True
            ):
                name = str(run_value)
                if file is None or name not in written:
                    if file is not None:
                        file.commit(sync_folder=False)
                    target = partition_file(lake_dir, table, column, value, file_column, name)
                    file, written[name] = _AtomicFile(target, reader.schema), 0
                file.write(batch.slice(start, end - start))
                written[name] += end - start
                start = end
        if file is not None:
            file.commit(sync_folder=False)
    finally:
        if file is not None:
            file.abort()  # a no-op once committed
        reader.close()
    if written:
        fsync_dir(folder)  # every rename durable before the whole-day file goes
    for name in sorted(file_values - written.keys()):
        _remove(partition_file(lake_dir, table, column, value, file_column, name))
    _remove(whole)
    return sum(written.values())


def remove_stale_temp_files(lake_dir: Path) -> int:
    """Delete temp files a killed rewrite left behind. Only the process holding the DuckDB
    write lock rewrites the lake, so at open time every temp file is stale."""
    stale = list(lake_dir.rglob(".*.tmp")) if lake_dir.exists() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


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
