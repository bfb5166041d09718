"""Lake rewrites that follow a backfill: the partitions it has moved past, on a thread.

Opt-in (``POS_WAREHOUSE_REPLAY_LAKE_FOLLOW``): with a COMMIT never beside a rewrite (below),
the loading thread's waits take back what the follower gains on 2 cores (1M bills: 7,350
bills/s with it against 7,184 with the lake rewritten at the end, for 60 MB more peak).

A replay loads shop-days in date order inside :meth:`Warehouse.lake_deferred`, which used to
leave every touched partition for one rewrite at the end: a quarter of a replay's time, spent
after the last merge, while during the merges a core was partly idle (the loading thread
waits on DuckDB's single-threaded INSERT). A business date the replay has moved past is
rarely touched again, so :class:`LakeFollower` rewrites it then, on one thread with its own
cursor, while the loading thread merges the next stack; what is left at the end is the last
dates, for the block's usual :func:`~etl.warehouse.lake.sync_lake`.

Why the lake still converges to DuckDB, exactly as with one rewrite at the end:

- Only the loading thread writes ``meta.lake_dirty``: marks inside its load transactions,
  clears between them (:meth:`LakeFollower.committed`). The rewrite thread only reads, so no
  write conflict can abort a load, and no mark can be cleared behind a load that re-marks.
- A rewrite scheduled after commit ``k`` reads a snapshot at least as new as that commit. The
  partition's marks are cleared only if no commit after ``k`` marked it again; else they stay
  and the partition is rewritten later (scheduled again, or by the final sync).
- Marks are cleared only after the files are durable (renamed and fsynced), as
  :func:`~etl.warehouse.lake.sync_lake` does: a crash leaves them for the next sync.
- A rewrite that fails on the thread (DuckDB out of memory beside a merge, disk full) is
  logged and leaves the marks: the final sync rewrites the partition and reports as usual.

No rewrite runs during the loading thread's COMMIT (:meth:`LakeFollower.quiet`): the two
share DuckDB's memory, and a COMMIT that runs out of it does not always fail cleanly (DuckDB
2.0, a 1M-bill replay with one flatten thread under a 192MB cap: the COMMIT failed, and the
next checkpoint found an in-memory column of the table corrupted, which invalidates the
database). A merge that runs out of memory beside a rewrite is rolled back like any failed
load, and a replay loads that stack again one unit at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from etl.warehouse.lake import clear_marks, dirty_partitions, rewrite_partition

log = logging.getLogger(__name__)

Key = tuple[str, str]
"""A partition as its marks name it: ``(table, partition value)``."""


class LakeFollower:
    """Rewrites, on one thread, the partitions the latest commit of a block did not touch.

    Driven by the loading thread: :meth:`committed` after every commit, :meth:`finish` when the
    block ends. Not thread-safe beyond that split (one loading thread, one rewrite thread)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lake_dir: Path) -> None:
        self._con = con
        self._cursor = con.cursor()  # made here, used on the rewrite thread only
        self._lake_dir = lake_dir
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="lake-follow")
        self._commits = 0
        self._touched: dict[Key, int] = {}
        """Partitions marked in this block and not yet cleared -> the last commit marking it."""
        self._pending: dict[Key, tuple[int, Future[bool]]] = {}
        """Partitions scheduled -> (the commit they were scheduled after, the rewrite)."""
        self.rewritten = 0
        """Partitions rewritten and cleared here (not left for the final sync)."""
        self._rewriting = threading.Lock()
        """Held by a rewrite while it runs, and by :meth:`quiet`."""

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No rewrite runs inside the block: the one running is waited for, the next waits
        (for the loading thread's COMMIT, see the module's docstring)."""
        with self._rewriting:
            yield

    def committed(self, keys: set[Key]) -> None:
        """A load transaction committed, marking ``keys``: clear what finished rewrites
        made current, then schedule every partition this commit did not touch. Never raises
        (what it follows is committed): a failure is logged, the marks stay for the sync."""
        self._commits += 1
        for key in keys:
            self._touched[key] = self._commits
        self._collect_or_warn()
        for key, last in sorted(self._touched.items()):
            if last < self._commits and key not in self._pending:
                future = self._pool.submit(self._rewrite, key, self._commits)
                self._pending[key] = (self._commits, future)

    def settle(self) -> None:
        """Wait for every scheduled rewrite and clear what is current (the lake then holds
        all but the partitions the latest commit touched): for a caller that wants that
        state now, such as a test, or a stack retried after a failure. Never raises, as
        :meth:`committed`."""
        for _, future in list(self._pending.values()):
            with suppress(Exception):  # its failure is logged by _collect
                future.exception()
        self._collect_or_warn()

    def finish(self) -> int:
        """Stop: rewrites not started are dropped (left marked for the final sync), the one
        running is waited for and cleared if still current. Returns :attr:`rewritten`."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self._collect_or_warn()
        finally:
            self._cursor.close()
        return self.rewritten

    def _collect_or_warn(self) -> None:
        """:meth:`_collect`; a failure to clear marks is logged, the marks stay for the sync."""
        try:
            self._collect()
        except (duckdb.Error, OSError) as exc:
            log.warning("lake marks not cleared after a rewrite, kept for the sync: %s", exc)

    def _collect(self) -> None:
        current = []
        for key, (after, future) in list(self._pending.items()):
            if not future.done():
                continue
            del self._pending[key]
            if future.cancelled():
                continue
            exc = future.exception()
            if exc is not None:
                log.info(
                    "lake rewrite of %s %s behind the load failed, left for the sync: %s",
                    key[0],
                    key[1],
                    exc,
                )
            elif future.result() and self._touched.get(key, 0) <= after:
                current.append(key)
        clear_marks(self._con, current)
        for key in current:
            del self._touched[key]
        self.rewritten += len(current)

    def _rewrite(self, key: Key, after: int) -> bool:
        """On the rewrite thread: the partition's marked files from DuckDB; False when a
        commit after ``after`` touched it meanwhile (its rewrite would not count)."""
        with self._rewriting:
            if self._touched.get(key, 0) > after:
                return False
            parts = dirty_partitions(
                self._cursor, "table_name = ? AND partition_value = ?", [key[0], key[1]]
            )
            for part, files in parts.items():
                rewrite_partition(self._cursor, self._lake_dir, part, files)
            return True
