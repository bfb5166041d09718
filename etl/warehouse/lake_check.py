"""The lake compared with DuckDB: rows in one and not the other, for a whole table or one
partition (the ``lake_matches_duckdb`` checks, the chaos trials and tests). Multisets, column
by column, lineage included: a row twice in the lake is a difference.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.warehouse.lake_files import WHOLE_FILE, partition_file, partition_folder
from etl.warehouse.upsert import q, table_columns


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
    return _both_ways(con, f"SELECT {cols} FROM {q(table)}", [], lake, [str(folder / files)])


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
        if not any(folder.glob("*.parquet")):
            return _count(con, ours, params)
        return _both_ways(con, ours, params, lake, [str(folder / "*.parquet")])
    ours += f" AND {q(file_column)} = ?"
    params.append(file_value)
    # Its own file, and a whole-day file not split yet (both, for a split cut short).
    target = partition_file(lake_dir, table, column, value, file_column, file_value)
    files = [str(f) for f in (folder / WHOLE_FILE, target) if f.exists()]
    if not files:
        return _count(con, ours, params)
    lake += f" WHERE {q(file_column)} = ?"
    return _both_ways(con, ours, params, lake, files, [file_value])


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[str]) -> int:
    return int(con.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()[0][0])


def _both_ways(
    con: duckdb.DuckDBPyConnection,
    ours: str,
    params: list[str],
    lake: str,
    files: list[str],
    lake_params: list[str] | None = None,
) -> int:
    """Rows of ``ours`` missing from ``lake`` (read from ``files``) plus rows of ``lake``
    missing from ``ours``, as multisets."""
    theirs = [files, *(lake_params or [])]
    ((count,),) = con.execute(
        f"SELECT (SELECT count(*) FROM ({ours} EXCEPT ALL {lake})) + "
        f"(SELECT count(*) FROM ({lake} EXCEPT ALL {ours}))",
        [*params, *theirs, *theirs, *params],
    ).fetchall()
    return int(count)
