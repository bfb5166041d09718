"""A backfill's new lake partitions written from the rows it inserts, not read back from DuckDB.

A replay into dates the warehouse does not hold yet (a history reload, a new warehouse) used
to leave every partition it touched for one rewrite at the end: DuckDB sorting and streaming
each business date back out, a quarter of the replay's time, after the last merge (200k bills
on 2 cores: 5.6-6.1 s of 20.6-20.8 s). Yet the rows of such a partition are exactly the rows
the replay inserted into it, and they are already in memory as Arrow tables.
:class:`LakeAppender` appends them, after each COMMIT, to the partition's file under its temp
name, on a thread of its own (Arrow encodes Parquet without the GIL, on the core the loading
thread's single-threaded DuckDB work leaves partly idle), and the files are renamed into place
when the block ends.

A partition is written this way only while that is exactly what DuckDB holds; otherwise it is
left to the usual rewrite from DuckDB (:func:`~etl.warehouse.lake.sync_lake`):

- It held no rows when the block first touched its table (asked of DuckDB inside that load's
  transaction, before its merge) and has no folder in the lake (no stale file to replace).
- No merge in the block deleted a stored row of it (a re-checkout replacing a bill loaded
  earlier, or moving it to another date): then the rows appended are no longer the rows held.
- Its table's staged columns have the types DuckDB gives back (compared per table: never a
  cast whose rules might differ from the INSERT's).
- Consecutive: a partition the latest commit did not touch is sealed (closed and fsynced), and
  a commit touching it again afterwards hands it to the rewrite. A replay in date order moves
  past a date for good, so at most the dates in flight are open files.
- Nothing failed while writing it (disk full, an Arrow error): the failure is logged.

Why the lake still converges to DuckDB: the marks in ``meta.lake_dirty`` commit with every
load as before, and only the rows of committed transactions are appended. When the block ends
the files are renamed over their targets, the folders fsynced, and only then are the marks of
those partitions cleared; a crash before that leaves temp files (removed at the next open) and
the marks (rewritten from DuckDB at the next sync). A file holds the rows in load order rather
than sorted; its content is the multiset DuckDB holds (``lake_matches_duckdb`` compares that).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl.batch import EntitySpec
from etl.raw import fsync_dir
from etl.warehouse.lake import clear_marks
from etl.warehouse.lake_files import AtomicFile, partition_file, partition_folder
from etl.warehouse.upsert import EntityResult, Inserted, q

log = logging.getLogger(__name__)

Key = tuple[str, str]
"""A partition as its marks name it: ``(table, partition value)``."""

_APPENDING, _SEALED, _REWRITE = "appending", "sealed", "rewrite"

MOST_OPEN = 256
"""Partitions with a file open at once (a file per table and date in flight: tens)."""


class LakeAppender:
    """Writes the new partitions of a block from the rows its loads insert (see the module).

    Driven by the loading thread: inside each load transaction :meth:`prepare` before its
    merges and :meth:`merged` after each; then :meth:`committed` after its COMMIT, or
    :meth:`rolled_back`; :meth:`finish` when the block ends. The files are written on one
    thread of its own, in the order the loading thread asks."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lake_dir: Path) -> None:
        self._con = con
        self._lake_dir = lake_dir
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="lake-append")
        self._held: dict[str, set[str]] = {}
        """Table -> partition values it held when the block first touched it."""
        self._schemas: dict[str, pa.Schema] = {}
        """Table -> the schema of its lake files, as DuckDB gives its rows back."""
        self._columns: dict[str, tuple[str, str | None]] = {}
        """Table -> its partition column and file column."""
        self._state: dict[Key, str] = {}
        """Partition -> appending, sealed or rewrite (loading thread only)."""
        self._queued: list[Future[None]] = []
        """The writes the latest transaction asked for."""
        self._previous: list[Future[None]] = []
        """The writes the transaction before it asked for, until they are waited for."""
        self._touched: set[Key] = set()
        """Partitions the transaction under way has written or replaced rows of."""
        self._touches = 0
        self._last_touch: dict[Key, int] = {}
        """Partition -> the latest commit (counted) touching it."""
        # The writer thread's own:
        self._files: dict[tuple[str, str, str], AtomicFile] = {}
        self._failed: dict[Key, str] = {}

    def owns(self, key: Key) -> bool:
        """Whether the partition's file is written here (not by a rewrite from DuckDB)."""
        return self._state.get(key, _REWRITE) != _REWRITE

    def prepare(self, con: duckdb.DuckDBPyConnection, entities: Iterable[EntitySpec]) -> None:
        """A load transaction begins: learn, for each partitioned table seen for the first
        time, the partition values it holds and its lake schema (before this one's merges).
        The previous transaction's writes go on meanwhile, beside this one's stacking and
        merges, until its first rows are handed over (:meth:`merged`)."""
        self._settle()
        self._previous, self._queued = self._queued, []
        self._touched = set()
        for spec in entities:
            if spec.partition_column is None:
                continue
            for table in spec.tables:
                if table in self._held:
                    continue
                column = spec.partition_column
                held = con.execute(f"SELECT DISTINCT {q(column)} FROM {q(table)}").fetchall()
                self._held[table] = {_text(value) for (value,) in held}
                rows = f"SELECT * EXCLUDE ({q(column)}) FROM {q(table)} LIMIT 0"
                self._schemas[table] = con.sql(rows).to_arrow_table().schema
                self._columns[table] = (column, spec.file_column)

    def merged(self, entity: EntityResult, loaded_at: dt.datetime) -> None:
        """An entity merged inside the transaction: hand to the rewrite the partitions it
        deleted stored rows of, and start writing the rows it inserted into the partitions
        written here, beside the rest of the transaction (the rows are in memory for it
        anyway; waiting for its COMMIT would hold them while the next transaction stacks
        its own). Nothing is published before :meth:`finish`, and a transaction that does
        not commit hands what it touched to the rewrite (:meth:`rolled_back`)."""
        self._settle()
        for table, parts in entity.replaced.items():
            for value, _ in parts:
                self._hand_over((table, value))
        for table, inserted in entity.written.items():
            values = self._values(entity, table)
            self._touched |= {(table, value) for value in values}
            mine = {value for value in values if self._take((table, value))}
            if mine and inserted.rows.num_rows:
                job = self._pool.submit(self._append, table, inserted, mine, loaded_at)
                self._queued.append(job)

    def _settle(self) -> None:
        """Wait for the previous transaction's writes: two transactions' rows in memory at
        most, the one written and the one merged. Waiting when the next transaction begins
        instead (one in memory) kept the loading thread waiting for the writer most of the
        time its merges could have overlapped it (measured on the bench's 200k-bill replay
        on 2 cores: 1.8 s of a 12 s replay)."""
        for future in self._previous:
            future.exception()  # a job catches its own failures; this only waits
        self._previous = []

    def committed(self) -> None:
        """The transaction committed: seal the partitions it has moved past."""
        self._seal_passed(self._touched)
        self._touched = set()

    def rolled_back(self) -> None:
        """The transaction did not commit: what its merges appended is not what DuckDB
        holds, so the partitions it touched go to the rewrite."""
        for key in sorted(self._touched):
            self._hand_over(key)
        self._touched = set()

    def finish(self) -> set[Key]:
        """Seal every file, rename each into place and clear the marks of those partitions;
        returns them. What failed is logged and left marked for the rewrite. Never raises."""
        done: set[Key] = set()
        try:
            for key, state in self._state.items():
                if state == _APPENDING:
                    self._queued.append(self._pool.submit(self._seal, key))
            self._pool.shutdown(wait=True)
            done = self._publish()
            clear_marks(self._con, sorted(done))
        except Exception as exc:
            log.warning("lake files from the loads not published, left to the sync: %r", exc)
            self._abort_all()
            return set()
        for (table, value), reason in sorted(self._failed.items()):
            log.info("lake partition %s %s left to the rewrite: %s", table, value, reason)
        return done

    def _seal_passed(self, touched: set[Key]) -> None:
        """Seal the open partitions a replay in date order has moved past: every one before
        the earliest date this commit touched, and the longest untouched beyond
        :data:`MOST_OPEN` files (a replay in another order keeps no file open per date)."""
        self._touches += 1
        for key in touched:
            self._last_touch[key] = self._touches
        earliest = min((value for _, value in touched if value), default="")
        open_keys = [key for key, state in self._state.items() if state == _APPENDING]
        passed = {key for key in open_keys if key[1] < earliest}
        spare = sorted(set(open_keys) - passed - touched, key=lambda k: self._last_touch[k])
        passed |= set(spare[: max(0, len(open_keys) - len(passed) - MOST_OPEN)])
        for key in sorted(passed):
            self._state[key] = _SEALED
            self._queued.append(self._pool.submit(self._seal, key))

    def _values(self, entity: EntityResult, table: str) -> set[str]:
        """The partition values of ``table`` the entity's merge wrote or replaced."""
        return {
            value for tables in entity.partitions.values() for value, _ in tables.get(table, ())
        }

    def _take(self, key: Key) -> bool:
        """Whether the rows a commit inserted into partition ``key`` are appended here."""
        state = self._state.get(key)
        if state is None:
            table, value = key
            column = self._columns.get(table, (None, None))[0]
            fresh = (
                column is not None
                and value != ""
                and value not in self._held[table]
                and not partition_folder(self._lake_dir, table, column, value).exists()
            )
            state = self._state[key] = _APPENDING if fresh else _REWRITE
        elif state == _SEALED:
            self._hand_over(key)  # touched again after a commit that passed it by
            return False
        return state == _APPENDING

    def _hand_over(self, key: Key) -> None:
        """Leave partition ``key`` to the rewrite from DuckDB; drop what was written of it."""
        if self._state.get(key) in (_APPENDING, _SEALED):
            self._queued.append(self._pool.submit(self._abort, key, "touched out of order"))
        self._state[key] = _REWRITE

    # On the writer thread.

    def _append(
        self, table: str, inserted: Inserted, values: set[str], loaded_at: dt.datetime
    ) -> None:
        """Append the inserted rows of ``values`` (partition values of ``table``) to their
        files; the losing rows of the stack are dropped here, off the loading thread. Any
        failure hands the partitions concerned to the rewrite: a job has no caller to
        raise to, and a file it left short must never be published."""
        try:
            parts = self._lake_rows(table, inserted, loaded_at)
        except Exception as exc:
            for value in values:
                self._abort((table, value), f"rows not appendable: {exc!r}")
            return
        for value, file_value, part in parts:
            key = (table, value)
            if value not in values or key in self._failed:
                continue
            try:
                file = self._files.get((table, value, file_value))
                if file is None:
                    file = self._files[table, value, file_value] = AtomicFile(
                        self._target(table, value, file_value), self._schemas[table]
                    )
                file.write_table(part)
            except Exception as exc:
                self._abort(key, repr(exc))

    def _lake_rows(
        self, table: str, inserted: Inserted, loaded_at: dt.datetime
    ) -> list[tuple[str, str, pa.Table]]:
        """The inserted rows as their lake files hold them (``loaded_at`` added, columns and
        types as DuckDB gives them back), per partition value and file value."""
        schema = self._schemas[table]
        column, file_column = self._columns[table]
        staged = inserted.rows.schema
        for name in schema.names:
            if name != "loaded_at" and staged.field(name).type != schema.field(name).type:
                raise ValueError(
                    f"{name} staged as {staged.field(name).type}, held as {schema.field(name).type}"
                )
        stamp = schema.field("loaded_at").type
        out = []
        for (value, file_value), part in _parts(inserted, column, file_column):
            if file_column is not None and file_value is None:
                raise ValueError(f"NULL {file_column} on {value}")  # NOT NULL by contract
            part = part.append_column(
                pa.field("loaded_at", stamp), pa.repeat(pa.scalar(loaded_at, stamp), part.num_rows)
            )
            out.append((_text(value), _text(file_value), part.select(schema.names).cast(schema)))
        return out

    def _target(self, table: str, value: str, file_value: str) -> Path:
        column, file_column = self._columns[table]
        return partition_file(self._lake_dir, table, column, value, file_column, file_value)

    def _seal(self, key: Key) -> None:
        for _, file in self._files_of(key):
            try:
                file.seal()
            except Exception as exc:
                self._abort(key, repr(exc))
                return

    def _abort(self, key: Key, reason: str) -> None:
        self._failed.setdefault(key, reason)
        for (table, value, file_value), file in list(self._files.items()):
            if (table, value) == key:
                file.abort()
                del self._files[table, value, file_value]
                with suppress(OSError):  # made for this file only: empty again
                    file.target.parent.rmdir()

    def _files_of(self, key: Key) -> list[tuple[str, AtomicFile]]:
        """The open or sealed files of a partition, with their file values."""
        return [(v, f) for (table, value, v), f in self._files.items() if (table, value) == key]

    def _held_rows(self, table: str) -> dict[Key, dict[str, int]]:
        """Rows DuckDB holds per partition of ``table`` and file value ("": one file)."""
        column, file_column = self._columns[table]
        split = q(file_column) if file_column else "NULL"
        counts: dict[Key, dict[str, int]] = {}
        for value, file_value, rows in self._con.execute(
            f"SELECT {q(column)}, {split}, count(*) FROM {q(table)} GROUP BY ALL"
        ).fetchall():
            counts.setdefault((table, _text(value)), {})[_text(file_value)] = int(rows)
        return counts

    # On the loading thread, once the writer thread has ended.

    def _publish(self) -> set[Key]:
        """Rename every sealed file of the partitions written here whole, once its rows are
        counted equal to DuckDB's for that file; fsync folders."""
        done: set[Key] = set()
        folders: set[Path] = set()
        held: dict[str, dict[Key, dict[str, int]]] = {}
        for key, state in sorted(self._state.items()):
            files = self._files_of(key)
            if state == _REWRITE or key in self._failed or not files:
                continue
            table = key[0]
            if table not in held:
                held[table] = self._held_rows(table)
            written = {file_value: file.rows for file_value, file in files}
            if written != held[table].get(key, {}):
                self._abort(key, f"{written} rows written, DuckDB holds {held[table].get(key)}")
                log.warning("lake partition %s %s: %s", *key, self._failed[key])
                continue
            for _, file in files:
                file.commit(sync_folder=False)
                folders.add(file.target.parent)
            done.add(key)
        for folder in sorted(folders):
            fsync_dir(folder)
        return done

    def _abort_all(self) -> None:
        for file in self._files.values():
            file.abort()
        self._files.clear()


def _parts(
    inserted: Inserted, column: str, file_column: str | None
) -> list[tuple[tuple[object, object], pa.Table]]:
    """The inserted rows per partition value and file value (None without a file column):
    one filter per file, the losers' mask folded into it, and no copy at all when every
    staged row was inserted into one file (measured on the bench's 200k-bill replay: a
    stack straddles two business dates, and filtering the losers out first, then splitting
    by date, copied every row twice)."""
    rows, keep = inserted.rows, inserted.mask
    keys = [column, *([file_column] if file_column else [])]
    kept = Inserted(rows.select(keys), keep).table()
    if file_column is None:  # one column: unique is a twentieth of a group_by's cost
        values = pc.unique(kept.column(column)).to_pylist()
        files: list[object] = [None] * len(values)
    else:
        found = kept.group_by(keys).aggregate([])
        values, files = found.column(column).to_pylist(), found.column(file_column).to_pylist()
    if len(values) == 1 and keep is None:
        return [((values[0], files[0]), rows)]
    parts = []
    for value, file_value in zip(values, files, strict=True):
        mask = _equal(rows.column(column), value)
        if file_column:
            mask = pc.and_kleene(mask, _equal(rows.column(file_column), file_value))
        if keep is not None:
            mask = pc.and_kleene(mask, keep)
        parts.append(((value, file_value), rows.filter(mask)))
    return parts


def _equal(values: pa.ChunkedArray, value: object) -> pa.ChunkedArray:
    """Where ``values`` holds ``value`` (a NULL matching a NULL)."""
    if value is None:
        return pc.is_null(values)
    return pc.equal(values, pa.scalar(value, values.type))


def _text(value: object) -> str:
    return "" if value is None else str(value)
