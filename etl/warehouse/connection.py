"""Opening the warehouse file: one writer at a time, waiting politely for the lock.

DuckDB lets one process hold a database file for writing. Dagster serialises our writers with a
concurrency pool; this wait covers everything else (a CLI load during a scheduled run, an
analyst who opened the file read-write) instead of failing at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import tenacity

from etl.sql_files import ddl_files

log = logging.getLogger(__name__)


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def open_database(
    path: Path,
    *,
    memory_limit: str = "2GB",
    lock_wait_seconds: float = 300.0,
    checkpoint_threshold: str = "16MB",
) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-write, retrying while another process holds the file lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_lock_error),
        wait=tenacity.wait_exponential(multiplier=0.05, max=2.0),
        stop=tenacity.stop_after_delay(lock_wait_seconds),
        before_sleep=lambda state: log.info(
            "warehouse %s is locked by another process; waiting (attempt %d)",
            path,
            state.attempt_number,
        ),
        reraise=True,
    )
    con: duckdb.DuckDBPyConnection = retrying(
        duckdb.connect,
        str(path),
        config={"memory_limit": memory_limit, "checkpoint_threshold": checkpoint_threshold},
    )
    return con


@contextmanager
def connected(
    path: Path, *, memory_limit: str = "2GB", lock_wait_seconds: float = 300.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_database(path, memory_limit=memory_limit, lock_wait_seconds=lock_wait_seconds)
    try:
        yield con
    finally:
        con.close()


def apply_ddl(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every DDL file (idempotent: IF NOT EXISTS + COMMENT ON) in one transaction."""
    files = ddl_files()
    con.execute("BEGIN TRANSACTION")
    try:
        for file in files:
            con.execute(file.read_text(encoding="utf-8"))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(files)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    """The single value of a one-row, one-column query. Uses fetchall: DuckDB 2 keeps a
    half-read result open after fetchone, which then blocks ``register()`` on the connection."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None
