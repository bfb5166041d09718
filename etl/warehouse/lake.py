"""The Parquet lake beside DuckDB: one file per table and business date, replaced atomically.

Layout: ``lake/<schema>/<table>/business_date=YYYY-MM-DD/data.parquet`` (hive style, the
partition column lives in the path only), or ``lake/<schema>/<table>/data.parquet`` for an
unpartitioned table. A load marks the partitions it changed in ``meta.lake_dirty`` inside its
transaction; :func:`sync_lake` rewrites each from DuckDB (write a temp file, fsync, rename over
the old one) and then clears the mark. A crash in between leaves the mark, and the next sync
finishes the job, so the lake converges to DuckDB and a reader never sees half a file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from etl.chaos.hooks import kill_point
from etl.raw import fsync_dir
from etl.warehouse.upsert import q, table_columns


def partition_file(lake_dir: Path, table: str, column: str | None, value: str) -> Path:
    schema, name = table.split(".")
    folder = lake_dir / schema / name
    if column is not None and value != "":
        folder = folder / f"{column}={value}"
    return folder / "data.parquet"


def mark_dirty(
    con: duckdb.DuckDBPyConnection,
    marks: dict[tuple[str, str], str],
    partition_column: str | None,
) -> None:
    """Mark partitions for rewrite, inside the caller's transaction (one statement).

    ``marks`` maps ``(table, partition value)`` to the load that changed it."""
    if not marks:
        return
    rows = list(marks.items())
    staged = pa.table(
        {
            "table_name": [table for (table, _), _ in rows],
            "partition_value": [value for (_, value), _ in rows],
            "marked_by": [load_id for _, load_id in rows],
        }
    )
    con.register("_lake_marks", staged)
    try:
        con.execute(
            "INSERT INTO meta.lake_dirty SELECT m.table_name, $column, m.partition_value, "
            "m.marked_by FROM _lake_marks m WHERE NOT EXISTS (SELECT 1 FROM meta.lake_dirty d "
            "WHERE d.table_name = m.table_name AND d.partition_value = m.partition_value)",
            {"column": partition_column},
        )
    finally:
        con.unregister("_lake_marks")


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
) -> int:
    """Rewrite one partition file from DuckDB, streamed in batches; remove it when the
    partition is empty."""
    target = partition_file(lake_dir, table, column, value)
    select, params = f"SELECT * FROM {q(table)}", []
    if column is not None and value != "":
        select = f"SELECT * EXCLUDE ({q(column)}) FROM {q(table)} WHERE {q(column)} = ?"
        params = [value]
    reader = con.sql(f"{select} ORDER BY ALL", params=params).to_arrow_reader(BATCH_ROWS)
    try:
        return _write_atomically(reader, target, keep_empty=column is None)
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
    """Rewrite every partition marked dirty; returns how many files were rewritten."""
    dirty = con.execute(
        "SELECT DISTINCT table_name, partition_column, partition_value FROM meta.lake_dirty "
        "ORDER BY ALL"
    ).fetchall()
    for table, column, value in dirty:
        write_partition(con, lake_dir, table, column, value)
        con.execute(
            "DELETE FROM meta.lake_dirty WHERE table_name = ? AND partition_value = ?",
            [table, value],
        )
    return len(dirty)


def lake_differences(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, table: str, column: str | None
) -> int:
    """Rows in DuckDB but not in the lake, plus rows in the lake but not in DuckDB (0: equal).
    Compares as multisets (EXCEPT ALL), column by column, lineage included."""
    schema, name = table.split(".")
    folder = lake_dir / schema / name
    pattern = folder / ("*/data.parquet" if column else "data.parquet")
    if not any(folder.glob("*/data.parquet" if column else "data.parquet")):
        return int(con.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0])
    cols = ", ".join(q(c) for c in table_columns(con, table))
    lake = (
        f"SELECT {cols} FROM read_parquet(?, hive_partitioning = {'true' if column else 'false'})"
    )
    ((count,),) = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM {q(table)} EXCEPT ALL {lake})) + "
        f"(SELECT count(*) FROM ({lake} EXCEPT ALL SELECT {cols} FROM {q(table)}))",
        [str(pattern), str(pattern)],
    ).fetchall()
    return int(count)


def partition_differences(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, table: str, column: str, value: str
) -> int:
    """Like :func:`lake_differences`, for one partition file only (cheap enough after every
    load): rows of ``table`` with ``column = value`` against that partition's Parquet file."""
    target = partition_file(lake_dir, table, column, value)
    cols = ", ".join(q(c) for c in table_columns(con, table) if c != column)
    ours = f"SELECT {cols} FROM {q(table)} WHERE {q(column)} = ?"
    if not target.exists():
        return int(con.execute(f"SELECT count(*) FROM ({ours})", [value]).fetchall()[0][0])
    lake = f"SELECT {cols} FROM read_parquet(?)"
    ((count,),) = con.execute(
        f"SELECT (SELECT count(*) FROM ({ours} EXCEPT ALL {lake})) + "
        f"(SELECT count(*) FROM ({lake} EXCEPT ALL {ours}))",
        [value, str(target), str(target), value],
    ).fetchall()
    return int(count)
