"""The warehouse: a DuckDB file plus its Parquet lake, loaded one unit at a time.

One load unit (e.g. one shop's business day) is one DuckDB transaction: every entity's upsert,
its rejects, its log row and its lake marks commit together or not at all. Only after the
commit are the touched Parquet partitions rewritten (see :mod:`etl.warehouse.lake`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.batch import EntitySpec, FlatBatch
from etl.config import WarehouseSettings
from etl.errors import LoadError
from etl.warehouse.connection import apply_ddl, open_database
from etl.warehouse.lake import mark_dirty, remove_stale_temp_files, sync_lake
from etl.warehouse.meta import LoadUnit, record_load, record_rejects, utcnow
from etl.warehouse.upsert import upsert_entity

log = logging.getLogger(__name__)


@dataclass
class LoadResult:
    """What a committed load unit wrote."""

    load_id: str
    records: int
    rows: dict[str, int] = field(default_factory=dict)
    rejects: int = 0
    partitions: set[str] = field(default_factory=set)
    lake_files: int = 0


def total_rows(results: Iterable[LoadResult]) -> dict[str, int]:
    """Rows written per table, summed over several load units."""
    totals: dict[str, int] = {}
    for result in results:
        for table, count in result.rows.items():
            totals[table] = totals.get(table, 0) + count
    return totals


class Warehouse:
    """An open warehouse. Use :meth:`open` as a context manager; one writer at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lake_dir: Path) -> None:
        self.con = con
        self.lake_dir = lake_dir

    @classmethod
    @contextmanager
    def open(
        cls, settings: WarehouseSettings, *, lock_wait_seconds: float = 300.0
    ) -> Iterator[Warehouse]:
        con = open_database(
            settings.warehouse_path,
            memory_limit=settings.duckdb_memory_limit,
            lock_wait_seconds=lock_wait_seconds,
        )
        try:
            apply_ddl(con)
            warehouse = cls(con, settings.lake_dir)
            # Finish a lake rewrite an earlier process was killed in the middle of.
            remove_stale_temp_files(settings.lake_dir)
            warehouse.sync_lake()
            yield warehouse
        finally:
            con.close()

    def sync_lake(self) -> int:
        return sync_lake(self.con, self.lake_dir)

    def load(self, unit: LoadUnit, batch: FlatBatch, entities: Sequence[EntitySpec]) -> LoadResult:
        """Upsert ``batch`` as one transaction, then rewrite the touched Parquet partitions.

        On any error the transaction is rolled back (the warehouse is exactly as before), the
        failure is logged in meta.loads, and :class:`LoadError` names the unit.
        """
        started_at = utcnow()
        result = LoadResult(load_id=unit.load_id, records=batch.records, rejects=len(batch.rejects))
        self.con.execute("BEGIN TRANSACTION")
        try:
            for spec in entities:
                entity = upsert_entity(
                    self.con, spec, batch, load_id=unit.load_id, loaded_at=started_at
                )
                result.rows.update(entity.rows)
                mark_dirty(self.con, entity.partitions, spec.partition_column, unit.load_id)
                for values in entity.partitions.values():
                    result.partitions |= values - {""}
            record_rejects(self.con, batch.rejects, unit.load_id, started_at)
            record_load(
                self.con,
                unit,
                status="committed",
                started_at=started_at,
                records=batch.records,
                rows=result.rows,
                rejects=len(batch.rejects),
                partitions=sorted(result.partitions),
            )
        except BaseException as exc:
            self._rollback()
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt / SystemExit: rolled back, stop everything
            self.record_failure(unit, started_at, exc)
            raise LoadError(f"{unit.describe()}: load rolled back: {exc}") from exc
        # Outside the try: a COMMIT that fails has rolled back by itself and is the real error.
        self.con.execute("COMMIT")
        result.lake_files = self.sync_lake()
        log.info(
            "loaded %s: %d records, %d rejects, rows %s",
            unit.describe(),
            batch.records,
            len(batch.rejects),
            result.rows,
        )
        return result

    def _rollback(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            log.warning("rollback after a failed load raised; the transaction was already gone")

    def record_failure(self, unit: LoadUnit, started_at: dt.datetime, exc: BaseException) -> None:
        """Log a failed unit in meta.loads (its own transaction); never masks the real error."""
        try:
            record_load(
                self.con, unit, status="failed", started_at=started_at, error=str(exc)[:2000]
            )
        except Exception:  # the original error matters more than the log row
            log.exception("could not log the failure of %s in meta.loads", unit.describe())
