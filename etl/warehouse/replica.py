"""The published read copy: a whole-database snapshot that analysts can always open.

DuckDB lets one process hold a file read-write, and then no other process can open it at all,
not even read-only (and while a reader holds it, the writer cannot open it). So analysts never
open ``warehouse.duckdb``; the loading process publishes ``warehouse-read.duckdb`` instead:

1. ``CHECKPOINT`` the writer's connection, so the WAL is empty and the file's modification time
   says when the warehouse last changed (see :func:`needs_publish`).
2. ``ATTACH`` a temp file beside the target and ``COPY FROM DATABASE`` into it, ``DETACH``
   (which checkpoints it), fsync it. The copy reads one transaction's snapshot: exactly the
   committed units, never a unit in flight.
3. ``os.replace`` it over the target, fsync the folder.

A reader that already opened the old copy keeps reading it (its open file is the old inode);
a reader opening afterwards gets the new one; nobody ever sees a partial file. The writer
publishes between load units, from the one thread that runs them, so each copy is the state
after a whole number of units.

Why not a plain byte copy of the file after ``CHECKPOINT`` (about 6x faster, measured on a
22 MB file: 0.08 s against 0.47 s)? Because copying means opening and closing
``warehouse.duckdb`` in the writer's own process, and DuckDB's file lock is a POSIX ``fcntl``
lock, which belongs to the process and is dropped when *any* descriptor of that file is
closed. After the first publish another process could open the warehouse read-write while a
load runs (seen with DuckDB 2.0: ``tests/warehouse/test_replica.py`` guards it). Copying
through one descriptor kept open for the whole session would dodge that, but only as long as
nothing else in the process ever opens the file. ``COPY FROM DATABASE`` never opens the
warehouse file a second time, needs no assumption about what else DuckDB writes to it, and
keeps the whole catalog: table, column and view comments (the data dictionary reads them),
views, macros and constraints, as the tests check.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.errors import PosWarehouseError
from etl.raw import fsync_dir

log = logging.getLogger(__name__)


class PublishError(PosWarehouseError):
    """The read copy could not be made safely (the warehouse itself is unaffected)."""


@dataclass(frozen=True)
class PublishResult:
    """One published copy: where, how big, and how long it took (checkpoint included)."""

    path: Path
    bytes: int
    seconds: float


def _wal(source: Path) -> Path:
    return source.with_name(f"{source.name}.wal")


def _temp_glob(target: Path) -> str:
    return f".{target.name}.*.tmp*"  # the temp copy and a WAL DuckDB may leave beside it


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(con: duckdb.DuckDBPyConnection, source: Path, target: Path) -> PublishResult:
    """Copy the database ``con`` holds (the writer's connection to ``source``) to a temp file
    and atomically replace ``target`` with it. Call it outside any transaction, from the thread
    that runs the loads."""
    started = time.perf_counter()
    ((database, path),) = con.execute(
        "SELECT database_name, path FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchall()
    if path is None or Path(path).resolve() != source.resolve():
        raise PublishError(f"the connection holds {path or database!r}, not {source}")
    con.execute("CHECKPOINT")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    alias = f"publish_{uuid.uuid4().hex[:12]}"
    try:
        con.execute(f"ATTACH ? AS {_ident(alias)}", [str(tmp)])
        try:
            con.execute(f"COPY FROM DATABASE {_ident(database)} TO {_ident(alias)}")
        finally:
            con.execute(f"DETACH {_ident(alias)}")
        if _wal(tmp).exists():
            raise PublishError(f"{_wal(tmp)} was left after DETACH; the copy may be incomplete")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        size = tmp.stat().st_size
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
        _wal(tmp).unlink(missing_ok=True)
    return PublishResult(target, size, time.perf_counter() - started)


def remove_stale_copies(target: Path) -> int:
    """Delete temp copies a killed publish left beside ``target``. Only the process holding the
    warehouse's write lock publishes, so when it opens every temp copy is stale."""
    stale = list(target.parent.glob(_temp_glob(target))) if target.parent.exists() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def needs_publish(source: Path, target: Path) -> bool:
    """True when ``target`` is missing or older than ``source`` or its WAL. Ask before opening
    ``source``: opening re-applies the DDL, which is not a change worth a copy."""
    try:
        copied = target.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    changed = [p.stat().st_mtime_ns for p in (source, _wal(source)) if p.exists()]
    return not changed or max(changed) > copied


class ReadCopy:
    """When the warehouse publishes its read copy: after a committed unit once ``every_seconds``
    have passed since the last publish (0: after every unit), and at close if anything changed
    since. A failed publish (disk full, folder not writable) is a warning, never a failed load:
    the load is committed by then, and analysts keep the previous copy."""

    def __init__(
        self,
        source: Path,
        target: Path,
        *,
        every_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.target = target
        self.every_seconds = every_seconds
        self._clock = clock
        self._last = clock()
        self._pending = False

    def opened(self, con: duckdb.DuckDBPyConnection, *, stale: bool) -> PublishResult | None:
        """Clean up after a killed publish; publish now if the copy is missing or ``stale``."""
        remove_stale_copies(self.target)
        self._last = self._clock()
        return self._publish(con) if stale else None

    def changed(self) -> None:
        """Something was committed (a load unit, or a failed unit's log row)."""
        self._pending = True

    def committed(self, con: duckdb.DuckDBPyConnection) -> PublishResult | None:
        """A load unit committed: publish if the last publish is ``every_seconds`` old."""
        self._pending = True
        if self._clock() - self._last >= self.every_seconds:
            return self._publish(con)
        return None

    def close(self, con: duckdb.DuckDBPyConnection) -> PublishResult | None:
        """The warehouse is closing: publish the final state if it is not published yet."""
        return self._publish(con) if self._pending else None

    def _publish(self, con: duckdb.DuckDBPyConnection) -> PublishResult | None:
        # Also after a failure: a full disk should not be retried after every single unit.
        self._last = self._clock()
        try:
            result = publish(con, self.source, self.target)
        except Exception as exc:  # the load is committed; only the analysts' copy is late
            log.warning(
                "could not publish the read copy %s (the warehouse itself is fine; "
                "readers keep the previous copy): %s",
                self.target,
                exc,
            )
            return None
        self._pending = False
        self._last = self._clock()
        log.info(
            "published read copy %s: %d bytes in %.2fs", result.path, result.bytes, result.seconds
        )
        return result
