"""Flatten worker processes of a replay, shared by both vendors.

A replay reads and flattens the next units in worker processes while the loading process
merges: a thread would not do, because flattening holds the GIL and the merge's short
statements would queue for it. Workers are started with ``spawn`` (the loading process holds
DuckDB's threads and file handles, which ``fork`` would copy half-way), import only what
flattening needs (the ``*_landed`` modules: no DuckDB), and end when the replay that started
them is gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import platform
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import closing, contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from etl.errors import LoadError

if TYPE_CHECKING:  # workers import this module: no DuckDB at run time
    from etl.warehouse import Warehouse

T = TypeVar("T")
R = TypeVar("R")

PARENT_POLL_SECONDS = 0.5
HUGE_PAGE_MALLOC = "glibc.malloc.hugetlb=1"
"""The glibc tunable the flatten workers start with (see :func:`worker_environment`)."""
MMAP_THRESHOLD = 1 << 20
"""Blocks of this size or more that the loading process of a replay takes from the kernel
and gives back to it (see :func:`big_blocks_to_the_kernel`)."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters, from glibc's malloc.h


def replay_workers() -> int:
    """Flatten workers of a replay: one per core. Flattening is most of a replay's work (the
    merge of a stack of units is about a quarter of it), so the loading process shares a core
    with a worker rather than leave one idle while it waits (measured on 2 cores: 8,100
    bills/s with two workers, 5,500 with one)."""
    return os.cpu_count() or 1


def flatten_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` spawned processes that end with this one (see :func:`exit_with_parent`),
    Arrow on the system allocator (see :func:`system_arrow_memory`)."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


def system_arrow_memory() -> None:
    """Arrow buffers from this process's system allocator (glibc malloc) rather than the
    pool pyarrow picks by default (mimalloc or jemalloc): a replay allocates big buffers that
    live for one unit, and those pools keep freed pages for reuse, which shows as resident
    memory. Measured at 1M bills on 2 cores, bench defaults: 995 MB peak (loader and workers)
    against 1,056 MB, no slower. For the rest of the process, like any pool choice; buffers
    already allocated keep their own pool."""
    pa.set_memory_pool(pa.system_memory_pool())


def big_blocks_to_the_kernel() -> None:
    """glibc's malloc maps every block of :data:`MMAP_THRESHOLD` or more on its own and
    unmaps it when freed, for the rest of this process. By default the threshold climbs to
    the largest block freed so far (up to 32 MiB), after which a replay's unit-sized buffers
    (bodies, Arrow columns, stacks) come from the heap, and a heap keeps what is freed inside
    it resident until the blocks above are freed too; the heap's free top is handed back
    beyond twice the threshold, where that threshold too may have climbed. Measured at 1M
    bills on 2 cores, bench defaults: 936-948 MB peak against 1,031-1,039 MB, no slower (3
    runs each).

    Only the loading process: the flatten worker processes keep their unit buffers on the
    heap, backed by huge pages (:func:`worker_environment`), which mapping each block anew
    would undo. Nothing with other C libraries, or where ``MALLOC_MMAP_THRESHOLD_`` or the
    ``glibc.malloc.mmap_threshold`` tunable already says (the user's choice)."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "glibc.malloc.mmap_threshold" in tunables:
        return
    if platform.libc_ver()[0] != "glibc":
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD)  # as glibc pairs them; it may have climbed


def _start_worker(parent_pid: int) -> None:
    system_arrow_memory()
    exit_with_parent(parent_pid)


class StackWindow:
    """How many flattened units a replay keeps waiting: ``floor`` at first, then about a
    stack's worth, told by the loader after each full stack (:meth:`stacked`).

    A stack is merged only once it is whole, so while the loading thread merges one, the
    flatten threads can get ahead by at most the window; with fewer units waiting than a
    stack takes, the loading thread then waits for the rest of the next stack to be
    flattened (measured on the bench's 200k bills, 2 cores, 20 shop-days a stack: it waited
    3.9 s of a 14.9 s loop with 8 waiting, 1.0 s with 24). In memory that is one stack's
    records waiting whatever the size of a shop-day, never more than ``most`` units."""

    def __init__(self, floor: int, most: int) -> None:
        self.floor, self.most = max(1, floor), max(1, floor, most)
        self.size = self.floor

    def stacked(self, units: int) -> None:
        """The loader's last full stack took ``units`` units."""
        self.size = max(self.floor, min(self.most, units + 1))

    def __call__(self) -> int:
        return self.size


def in_order(
    pool: Executor,
    work: Callable[..., R],
    items: Iterable[T],
    args: Callable[[T], tuple[Any, ...]],
    ahead: int | Callable[[], int],
    name: Callable[[T], str] = str,
) -> Generator[tuple[T, R], None, None]:
    """``(item, work(*args(item)))`` for each item, in the items' order, with at most
    ``ahead`` (at least 1) items submitted and not yet yielded (their results wait in memory).
    ``ahead`` may be a callable (a :class:`StackWindow`), asked again before each refill.
    ``args`` runs in this process, when the item is submitted. Stopping the iteration early
    cancels what was not started. A worker's error is raised here, at its item, as a
    :class:`~etl.errors.LoadError` naming it (``name``)."""
    pending: deque[tuple[T, Future[R]]] = deque()
    todo = iter(items)
    window = ahead if callable(ahead) else lambda: ahead
    try:
        while True:
            for item in islice(todo, max(0, max(1, window()) - len(pending))):
                pending.append((item, pool.submit(work, *args(item))))
            if not pending:
                return
            item, job = pending.popleft()
            try:
                result = job.result()
            except Exception as exc:
                raise LoadError(f"{name(item)}: reading or flattening failed: {exc}") from exc
            yield item, result
    finally:
        for _, job in pending:
            job.cancel()


@contextmanager
def replaying(
    warehouse: Warehouse,
    work: Callable[..., R],
    items: Iterable[T],
    args: Callable[[T], tuple[Any, ...]],
    *,
    workers: int,
    ahead: int | Callable[[], int],
    name: Callable[[T], str],
    threads: bool = False,
    follow: bool = True,
    append: bool = False,
) -> Iterator[Generator[tuple[T, R], None, None]]:
    """The frame of a replay: ``workers`` processes running ``work`` ahead of the caller
    (:func:`in_order`, at least one item per worker ahead), the Parquet lake rewritten behind
    the loads and, for what is left, when the block ends (:meth:`Warehouse.lake_deferred`
    with ``follow``), and DuckDB on the cores the workers leave (one on a 2-core machine):
    two DuckDB threads fighting a busy worker for two cores made every merge slower
    (measured: 21% more bills/s with one thread).
    The lake rewrite at the end comes after the workers have ended, so their memory is
    free again by then, and runs with DuckDB's own thread count again (and several
    partitions at once, see :data:`etl.warehouse.store.LAKE_THREADS`).
    Leaving the block early cancels the queued items before the pool waits for its workers.
    ``follow``: the lake rewritten behind the loads (``POS_WAREHOUSE_REPLAY_LAKE_FOLLOW``).
    ``append``: new partitions written from the rows loaded (``POS_WAREHOUSE_REPLAY_LAKE_APPEND``).

    ``threads``: ``work`` spends its time outside the GIL (QianHub's native flattener), so
    it runs on threads of this process instead (:func:`flatten_threads`): no process to
    start, nothing pickled between processes, no second copy of the libraries in memory.
    """
    system_arrow_memory()  # the loading process's stacks and lake batches too
    big_blocks_to_the_kernel()
    # Contexts exit in reverse: the pool ends (its workers with it) before the lake rewrite.
    with (
        warehouse.lake_deferred(follow=follow, append=append),
        worker_environment(),  # workers are spawned at the first submits, inside the block
        flatten_threads(workers) if threads else flatten_pool(workers) as pool,
        warehouse.threads(max(1, (os.cpu_count() or 2) - workers)),
        closing(in_order(pool, work, items, args, _at_least(ahead, workers), name)) as results,
    ):
        yield results


def _at_least(ahead: int | Callable[[], int], least: int) -> int | Callable[[], int]:
    """``ahead``, never below ``least`` (one unit per worker)."""
    if callable(ahead):
        return lambda: max(ahead(), least)
    return max(ahead, least)


def flatten_threads(workers: int) -> ThreadPoolExecutor:
    """``workers`` threads of this process, for work that releases the GIL while it runs
    (measured on 2 cores, 100,000 bills with the native flattener: 14.2 s with two threads,
    16.2 s with one, 16.5 s with two worker processes)."""
    return ThreadPoolExecutor(workers, thread_name_prefix="flatten")


@contextmanager
def worker_environment() -> Iterator[None]:
    """``GLIBC_TUNABLES`` with :data:`HUGE_PAGE_MALLOC` added, for the processes started in
    the block: glibc's malloc then backs its heap with transparent huge pages.

    A worker allocates and frees a unit's buffers (decoded records, Arrow columns, the
    pickled answer) hundreds of times, and on 4 KiB pages every cycle faults them in again:
    measured over a 200k-bill replay on 2 cores, 1.1M minor page faults and 2.9 s of kernel
    time in the workers, against 37k and 1.1 s with the tunable, for about 10 MB more peak
    memory. glibc reads its tunables when a process starts, so this process is unaffected;
    glibc before 2.35 and other C libraries ignore the setting. The previous value (or its
    absence) is restored when the block ends.
    """
    before = os.environ.get("GLIBC_TUNABLES")
    if before is not None and "glibc.malloc.hugetlb" in before:  # the user's own choice
        yield
        return
    os.environ["GLIBC_TUNABLES"] = f"{before}:{HUGE_PAGE_MALLOC}" if before else HUGE_PAGE_MALLOC
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("GLIBC_TUNABLES", None)
        else:
            os.environ["GLIBC_TUNABLES"] = before


def exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker as soon as the replay that started it is gone.

    A replay killed outright (SIGKILL, OOM killer) cannot stop its workers, and a worker
    waiting for its next unit would wait forever, holding its memory and the parent's
    inherited stdout (a caller waiting for that output would hang too). Polling the parent
    id is portable; the worker has nothing to save (it writes nothing but its answers).
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
