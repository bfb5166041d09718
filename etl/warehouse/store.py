"""The warehouse: a DuckDB file plus its Parquet lake, loaded one unit at a time.

One load unit (e.g. one shop's business day) is one DuckDB transaction: every entity's upsert,
its rejects, its log row and its lake marks commit together or not at all. Only after the
commit are the touched Parquet partitions rewritten (see :mod:`etl.warehouse.lake`), and then
the read copy analysts query is republished when due (see :mod:`etl.warehouse.replica`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.batch import EntitySpec, FlatBatch, stack
from etl.chaos.hooks import kill_point
from etl.config import WarehouseSettings
from etl.errors import LoadError
from etl.warehouse.connection import apply_ddl, open_database
from etl.warehouse.lake import lake_columns, mark_dirty, sync_lake
from etl.warehouse.lake_append import LakeAppender
from etl.warehouse.lake_files import remove_stale_temp_files
from etl.warehouse.lake_follow import LakeFollower
from etl.warehouse.meta import LoadUnit, record_load, record_rejects, utcnow
from etl.warehouse.replica import ReadCopy, needs_publish
from etl.warehouse.upsert import LakePart, upsert_entity

log = logging.getLogger(__name__)

LAKE_THREADS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
"""Lake partitions rewritten at once, one per core this process may use (at most four): DuckDB
streams one while Arrow compresses another (measured on 2 cores: a replay's lake rewrite in
half the time with two)."""


@dataclass
class LoadResult:
    """What a committed load unit wrote."""

    load_id: str
    records: int
    rows: dict[str, int] = field(default_factory=dict)
    rejects: int = 0
    partitions: set[str] = field(default_factory=set)
    lake_pending: bool = False
    """True when the unit committed but rewriting its Parquet partitions failed (disk full):
    they stay marked and the next sync finishes them."""


def total_rows(results: Iterable[LoadResult]) -> dict[str, int]:
    """Rows written per table, summed over several load units."""
    totals: dict[str, int] = {}
    for result in results:
        for table, count in result.rows.items():
            totals[table] = totals.get(table, 0) + count
    return totals


class Warehouse:
    """An open warehouse. Use :meth:`open` as a context manager; one writer at a time."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, lake_dir: Path, *, read_copy: ReadCopy | None = None
    ) -> None:
        self.con = con
        self.lake_dir = lake_dir
        self.read_copy = read_copy
        self._lake_deferred = 0
        self._follower: LakeFollower | None = None
        self._appender: LakeAppender | None = None

    @classmethod
    @contextmanager
    def open(
        cls, settings: WarehouseSettings, *, lock_wait_seconds: float = 300.0
    ) -> Iterator[Warehouse]:
        read_copy, stale = None, False
        if settings.reader_copy:
            read_copy = ReadCopy(
                settings.warehouse_path,
                settings.reader_path,
                every_seconds=settings.reader_publish_seconds,
            )
            # Asked before opening: the DDL applied at every open is not a change to publish.
            stale = needs_publish(settings.warehouse_path, settings.reader_path)
        con = open_database(
            settings.warehouse_path,
            memory_limit=settings.duckdb_memory_limit,
            checkpoint_threshold=settings.duckdb_checkpoint_threshold,
            lock_wait_seconds=lock_wait_seconds,
        )
        try:
            apply_ddl(con)
            warehouse = cls(con, settings.lake_dir, read_copy=read_copy)
            # Finish a lake rewrite an earlier process was killed in the middle of.
            remove_stale_temp_files(settings.lake_dir)
            warehouse.sync_lake()
            if read_copy is not None:
                read_copy.opened(con, stale=stale)  # a first-time analyst gets a copy at once
            try:
                yield warehouse
            except Exception:
                warehouse._publish_pending()  # units committed before the error still count
                raise
            warehouse._publish_pending()
        finally:
            con.close()

    def _publish_pending(self) -> None:
        if self.read_copy is not None:
            self.read_copy.close(self.con)

    def sync_lake(self) -> int:
        return sync_lake(self.con, self.lake_dir, threads=LAKE_THREADS)

    @contextmanager
    def lake_deferred(self, *, follow: bool = False, append: bool = False) -> Iterator[None]:
        """Rewrite the Parquet lake once when the block ends, not after every unit in it.

        A day of N shops touches the same business-date partition N times; rewriting it after
        each unit costs N rewrites of a growing file, most of a backfill's time. The marks in
        meta.lake_dirty commit with each unit, so a crash inside the block leaves them for the
        next sync (every open syncs): the lake still converges to DuckDB. Until the block
        ends the lake lags DuckDB, as it always does between a commit and its sync. Nests.
        A failed rewrite is handled as in :meth:`load`.

        ``follow``: a backfill in date order; the partitions each commit leaves untouched are
        rewritten meanwhile on a thread (:class:`~etl.warehouse.lake_follow.LakeFollower`),
        so that the end has only the last dates left to rewrite; every COMMIT waits for the
        rewrite running, if any (see that module).

        ``append``: a backfill into dates the warehouse does not hold yet; the partitions it
        creates are written from the rows it inserts, on a thread, and renamed into place
        when the block ends (:class:`~etl.warehouse.lake_append.LakeAppender`), so that only
        the others are rewritten from DuckDB. With ``follow`` too, the follower rewrites only
        those others.
        """
        follower = appender = None
        if follow and self._follower is None:
            follower = self._follower = LakeFollower(self.con, self.lake_dir)
        if append and self._appender is None:
            appender = self._appender = LakeAppender(self.con, self.lake_dir)
        self._lake_deferred += 1
        try:
            yield
        finally:
            if appender is not None:
                self._appender = None
                written = appender.finish()
                log.info("lake: %d partitions written from the loads", len(written))
            if follower is not None:
                self._follower = None
                rewritten = follower.finish()
                log.info("lake: %d partitions rewritten behind the load", rewritten)
            self._lake_deferred -= 1
            if not self._lake_deferred:
                self._sync_after_commit("the units of this block")

    @contextmanager
    def threads(self, threads: int) -> Iterator[None]:
        """DuckDB limited to ``threads`` inside the block, its default again after it (a
        replay leaves the other cores to its flatten workers)."""
        self.con.execute(f"SET threads = {int(threads)}")
        try:
            yield
        finally:
            with suppress(duckdb.Error):  # never hide the error that ended the block
                self.con.execute("RESET threads")

    def _sync_after_commit(self, what: str) -> bool:
        """Rewrite the marked partitions; False (logged) when that failed.

        Never raises: what it follows is committed, and raising would report committed units
        as failed (and could hide the error that ended a block). The partitions stay marked
        in meta.lake_dirty for the next sync (next load, block end or open), and the Dagster
        check ``lake_matches_duckdb`` shows the lag meanwhile.
        """
        try:
            self.sync_lake()
        except (OSError, duckdb.Error, pa.ArrowException) as exc:
            log.error("%s committed; lake rewrite failed, kept for the next sync: %s", what, exc)
            return False
        return True

    def load(self, unit: LoadUnit, batch: FlatBatch, entities: Sequence[EntitySpec]) -> LoadResult:
        """Upsert ``batch`` as one transaction, then rewrite the touched Parquet partitions.

        On any error the transaction is rolled back (the warehouse is exactly as before), the
        failure is logged in meta.loads, and :class:`LoadError` names the unit.
        """
        return self.load_many([(unit, batch)], entities)[0]

    def load_many(
        self, units: Sequence[tuple[LoadUnit, FlatBatch]], entities: Sequence[EntitySpec]
    ) -> list[LoadResult]:
        """Load several units in one transaction: their rows are stacked and each entity is
        merged once for all of them (see :func:`etl.batch.stack`).

        The warehouse ends as if the units were loaded one after another with :meth:`load`,
        each with its own meta.loads row, rejects and lineage (``load_id`` on every row it
        wrote), and each whole or absent; a merge costs about the same for ten units as for
        one, which is what makes a backfill fast.

        On any error everything is rolled back and :class:`LoadError` names the units. With
        more than one unit nothing is logged in meta.loads: the caller loads them again one
        by one with :meth:`load`, so the failing unit is found and logged alone and the others
        still land (:meth:`load_stacked` does).
        """
        started_at = utcnow()
        results = {
            unit.load_id: LoadResult(
                load_id=unit.load_id, records=batch.records, rejects=len(batch.rejects)
            )
            for unit, batch in units
        }
        kill_point("flattened")
        self.con.execute("BEGIN TRANSACTION")
        appender = self._appender
        try:
            if appender is not None:  # before stacking: the last stack's rows may be in use
                appender.prepare(self.con, entities)
            stacked = stack(
                [(unit.load_id, batch) for unit, batch in units],
                {table for spec in entities for table in spec.tables},
            )
            only = units[0][0].load_id if len(units) == 1 else None
            marks: dict[tuple[str, LakePart], str] = {}
            for spec in entities:
                entity = upsert_entity(
                    self.con,
                    spec,
                    stacked,
                    loaded_at=started_at,
                    only=only,
                    keep_rows=appender is not None,
                )
                if appender is not None:
                    appender.merged(entity, started_at)
                for unit, batch in units:
                    result = results[unit.load_id]
                    if batch.table(spec.table).num_rows:  # rows per table, 0 included
                        rows = entity.rows.get(unit.load_id, {})
                        result.rows.update({table: rows.get(table, 0) for table in spec.tables})
                    for table, parts in entity.partitions.get(unit.load_id, {}).items():
                        for part in parts:
                            marks.setdefault((table, part), unit.load_id)
                        result.partitions |= {value for value, _ in parts} - {""}
                kill_point("upsert")
            mark_dirty(self.con, marks, lake_columns(entities))
            for unit, batch in units:
                result = results[unit.load_id]
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
            if appender is not None:
                appender.rolled_back()
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt / SystemExit: rolled back, stop everything
            raise self._failed(units, started_at, exc, "load rolled back") from exc
        try:
            with self._follower.quiet() if self._follower is not None else nullcontext():
                self.con.execute("COMMIT")
        except BaseException as exc:
            if appender is not None:  # committed or not, the rewrite decides from DuckDB
                appender.rolled_back()
            if isinstance(exc, duckdb.InterruptException) or not isinstance(exc, duckdb.Error):
                raise  # the operator stopped the run (or worse than a failed COMMIT)
            # A COMMIT that fails has rolled back by itself (e.g. out of DuckDB memory): a
            # LoadError, so a replay loads the stack again one unit at a time (load_stacked).
            raise self._failed(units, started_at, exc, "commit failed, rolled back") from exc
        kill_point("committed")
        keys = {(table, value) for table, (value, _) in marks}
        if appender is not None:
            appender.committed()
            keys = {key for key in keys if not appender.owns(key)}
        if self._follower is not None:
            self._follower.committed(keys)
        if self.read_copy is not None:
            self.read_copy.changed()  # even if the lake rewrite below fails
        if not self._lake_deferred:
            pending = not self._sync_after_commit(
                units[0][0].describe() if len(units) == 1 else f"{len(units)} units"
            )
            for result in results.values():
                result.lake_pending = pending
        for unit, batch in units:
            log.info(
                "loaded %s: %d records, %d rejects, rows %s",
                unit.describe(),
                batch.records,
                len(batch.rejects),
                results[unit.load_id].rows,
            )
        if self.read_copy is not None:
            self.read_copy.committed(self.con)  # publishes when due; a failure only warns
        return list(results.values())

    def _failed(
        self,
        units: Sequence[tuple[LoadUnit, FlatBatch]],
        started_at: dt.datetime,
        exc: Exception,
        what: str,
    ) -> LoadError:
        """The error of a load that did not land (a single unit's failure logged)."""
        if len(units) == 1:
            self.record_failure(units[0][0], started_at, exc)
        names = ", ".join(unit.describe() for unit, _ in units)
        return LoadError(f"{names}: {what}: {exc}")

    def load_stacked(
        self, units: Sequence[tuple[LoadUnit, FlatBatch]], entities: Sequence[EntitySpec]
    ) -> Iterator[LoadResult]:
        """The results of :meth:`load_many` over ``units``, in order; when that fails the
        units are loaded again one by one with :meth:`load`, so the failing unit is logged
        alone and raises after the units before it have landed (a replay's fallback).
        A generator: nothing is loaded until it is iterated, and each fallback unit is loaded
        as its result is asked for."""
        try:
            results = self.load_many(units, entities) if units else []
        except LoadError as exc:
            if len(units) == 1:
                raise
            log.warning(
                "%d units loaded together failed, loading them one by one: %.300s",
                len(units),
                exc.__cause__ or exc,
            )
            if self._follower is not None:
                self._follower.settle()  # the memory its rewrites hold may be what failed
            for unit, batch in units:
                yield self.load(unit, batch, entities)
            return
        yield from results

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
        else:
            if self.read_copy is not None:
                self.read_copy.changed()
