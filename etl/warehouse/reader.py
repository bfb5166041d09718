"""Analysts' side of the warehouse: read-only connections to the published read copy.

Never ``warehouse.duckdb`` itself: a load holds that file read-write, and DuckDB then refuses
every other process (and a reader holding it would block the nightly load). The read copy is
one consistent state after a whole load unit; see :mod:`etl.warehouse.replica`.
"""

from __future__ import annotations

import duckdb

from etl.config import WarehouseSettings
from etl.errors import PosWarehouseError


class NoReadCopyError(PosWarehouseError):
    """No read copy has been published yet under ``POS_WAREHOUSE_HOME``."""


def open_reader(settings: WarehouseSettings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the read copy; the caller closes it. Reopen to see newer
    loads: a connection keeps reading the copy that was current when it opened."""
    path = settings.reader_path
    if not path.is_file():
        raise NoReadCopyError(f"no read copy yet at {path}: run a load first")
    return duckdb.connect(str(path), read_only=True)


def open_for_reading(settings: WarehouseSettings) -> duckdb.DuckDBPyConnection:
    """For the project's own reports and printouts: the read copy when publishing is on and a
    copy exists (it never waits for, or blocks, a load in another process), else the warehouse
    file itself, read-only."""
    if settings.reader_copy and settings.reader_path.is_file():
        return duckdb.connect(str(settings.reader_path), read_only=True)
    return duckdb.connect(str(settings.warehouse_path), read_only=True)
