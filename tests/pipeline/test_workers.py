"""The replay's worker pool: results in the items' order, at most ``ahead`` submitted and not
yet taken, a worker's error raised at its item naming it, and what was not started cancelled
when the caller stops early."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from etl.config import WarehouseSettings
from etl.errors import LoadError
from etl.pipeline import qianhub
from etl.pipeline.qianhub import MOST_AHEAD, PROCESS_AHEAD, THREAD_AHEAD
from etl.pipeline.workers import (
    HUGE_PAGE_MALLOC,
    StackWindow,
    flatten_pool,
    in_order,
    replaying,
    worker_environment,
)
from etl.raw import RawStore
from etl.warehouse import Warehouse


def square(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n * n


class Submissions:
    """``args`` for :func:`in_order` that records each item submitted and how many were
    waiting (submitted, not yet taken) once it was; the caller counts what it takes."""

    def __init__(self) -> None:
        self.submitted: list[int] = []
        self.waiting: list[int] = []
        self.taken = 0

    def args(self, n: int) -> tuple[int]:
        self.submitted.append(n)
        self.waiting.append(len(self.submitted) - self.taken)
        return (n,)


def test_results_come_in_order_with_a_bounded_window() -> None:
    seen = Submissions()
    items = [5, 1, 4, 2, 6]
    out = []
    with flatten_pool(2) as pool:
        for item, result in in_order(pool, square, items, seen.args, ahead=2):
            out.append((item, result))
            seen.taken += 1
    assert out == [(5, 25), (1, 1), (4, 16), (2, 4), (6, 36)]
    assert seen.submitted == items
    assert max(seen.waiting) == 2  # never more than ``ahead`` waiting


def test_a_stack_window_grows_to_a_stack_and_the_pool_follows_it() -> None:
    """The window starts at its floor; once the loader says a stack took 6 units, 7 may
    wait; it never goes below the floor nor above its most."""
    window = StackWindow(2, 9)
    assert window() == 2
    seen = Submissions()
    items = [n for n in range(20) if n != 3]
    with ThreadPoolExecutor(2) as pool:
        for item, result in in_order(pool, square, items, seen.args, window):
            assert result == item * item
            seen.taken += 1
            if seen.taken == 4:
                window.stacked(6)
    assert seen.waiting[:5] == [1, 2, 2, 2, 2]  # the floor, until the stack was told
    assert max(seen.waiting) == 7
    assert len(seen.submitted) == 19
    window.stacked(0)
    assert window() == 2
    window.stacked(100)
    assert window() == 9


def test_a_worker_error_is_raised_at_its_item_naming_it() -> None:
    out = []
    with flatten_pool(1) as pool, pytest.raises(LoadError, match=r"unit 3: .*three is not"):
        for item, result in in_order(
            pool, square, [1, 2, 3, 4], lambda n: (n,), 2, "unit {}".format
        ):
            out.append((item, result))
    assert out == [(1, 1), (2, 4)]  # the items before it were yielded


def test_stopping_early_cancels_what_was_not_started() -> None:
    submitted: list[int] = []

    def args(n: int) -> tuple[int]:
        submitted.append(n)
        return (n,)

    with flatten_pool(1) as pool:
        results = in_order(pool, square, range(100), args, ahead=10)
        with closing(results):
            assert next(results) == (0, 0)
        assert list(results) == []  # closed: nothing more is yielded
    assert submitted == list(range(10))  # only the first window was ever handed out


def arrow_pool(_: int) -> str:
    import pyarrow as pa

    return pa.default_memory_pool().backend_name


def test_workers_allocate_arrow_from_the_system_allocator() -> None:
    with flatten_pool(1) as pool:
        ((_, backend),) = list(in_order(pool, arrow_pool, [0], lambda n: (n,), ahead=1))
    assert backend == "system"


class _Warehouse:
    """What :func:`replaying` asks of a warehouse, noting which workers live at the lake
    rewrite."""

    def __init__(self) -> None:
        self.alive_at_rewrite: list[Any] | None = None

    @contextmanager
    def lake_deferred(self, *, follow: bool = False, append: bool = False) -> Iterator[None]:
        yield
        self.alive_at_rewrite = multiprocessing.active_children()

    @contextmanager
    def threads(self, threads: int) -> Iterator[None]:
        yield


def test_the_workers_are_gone_before_the_lake_rewrite() -> None:
    """Their memory is free by then: the rewrite sorts whole business dates."""
    warehouse = _Warehouse()
    with replaying(
        warehouse,  # type: ignore[arg-type]
        square,
        [1, 2, 4],
        lambda n: (n,),
        workers=2,
        ahead=2,
        name=str,
    ) as results:
        assert [result for _, result in results] == [1, 4, 16]
        assert len(multiprocessing.active_children()) == 2  # the pool, while loading
    assert warehouse.alive_at_rewrite == []


def tunables(_: int) -> str | None:
    return os.environ.get("GLIBC_TUNABLES")


def test_replay_workers_start_with_huge_page_malloc(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers see the tunable; this process's environment is as it was afterwards."""
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    with replaying(
        _Warehouse(),  # type: ignore[arg-type]
        tunables,
        [1, 2],
        lambda n: (n,),
        workers=2,
        ahead=2,
        name=str,
    ) as results:
        seen = [result for _, result in results]
    assert seen == [HUGE_PAGE_MALLOC, HUGE_PAGE_MALLOC]
    assert "GLIBC_TUNABLES" not in os.environ


@pytest.mark.parametrize(
    ("before", "during"),
    [
        (None, HUGE_PAGE_MALLOC),
        ("glibc.malloc.arena_max=2", f"glibc.malloc.arena_max=2:{HUGE_PAGE_MALLOC}"),
        ("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0"),  # the user's choice stands
    ],
)
def test_worker_environment_adds_the_tunable_and_restores(
    monkeypatch: pytest.MonkeyPatch, before: str | None, during: str
) -> None:
    if before is None:
        monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    else:
        monkeypatch.setenv("GLIBC_TUNABLES", before)
    with worker_environment():
        assert os.environ["GLIBC_TUNABLES"] == during
    assert os.environ.get("GLIBC_TUNABLES") == before


def thread_name(n: int) -> tuple[int, str]:
    return n * n, threading.current_thread().name


def test_threads_replace_processes_for_work_outside_the_gil() -> None:
    """``threads=True`` (QianHub's native flattener): the work runs on threads of this
    process, results still in order, no process started, none left at the lake rewrite."""
    warehouse = _Warehouse()
    with replaying(
        warehouse,  # type: ignore[arg-type]
        thread_name,
        [1, 2, 3, 4],
        lambda n: (n,),
        workers=2,
        ahead=2,
        name=str,
        threads=True,
    ) as results:
        seen = [result for _, result in results]
        assert multiprocessing.active_children() == []
    assert [square for square, _ in seen] == [1, 4, 9, 16]
    assert all(name.startswith("flatten") for _, name in seen)
    assert warehouse.alive_at_rewrite == []


MAPPED_BLOCKS = """
import ctypes, os, sys
from etl.pipeline.workers import big_blocks_to_the_kernel

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info

def mapped_by(size):
    before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    mapped = libc.mallinfo2().hblks - before
    libc.free(block)
    return mapped

libc.free(libc.malloc(16 << 20))  # freeing a big mapped block raises glibc's threshold
if sys.argv[1] == "set":
    big_blocks_to_the_kernel()
print(mapped_by(2 << 20))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc malloc setting")
@pytest.mark.parametrize(
    ("how", "env", "expected"),
    [
        ("set", {}, "1"),  # a 2 MiB block is mapped on its own once the setting is made
        ("unset", {}, "0"),  # by default it comes from the heap, after the 16 MiB free
        ("set", {"MALLOC_MMAP_THRESHOLD_": str(32 << 20)}, "0"),  # the user's own choice
    ],
)
def test_the_loading_process_maps_big_blocks_on_their_own(
    how: str, env: dict[str, str], expected: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.pop("GLIBC_TUNABLES", None)
    done = subprocess.run(
        [sys.executable, "-c", MAPPED_BLOCKS, how],
        env=environ | env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == expected


@pytest.mark.parametrize(
    ("native", "workers", "ahead"),
    [(True, 2, 2 * THREAD_AHEAD), (True, 3, 3 * THREAD_AHEAD), (False, 2, PROCESS_AHEAD)],
)
def test_a_qianhub_replay_keeps_a_few_units_waiting_per_flatten_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, native: bool, workers: int, ahead: int
) -> None:
    """The default window: ``THREAD_AHEAD`` per native flatten thread until the first stack
    (then a stack's worth, see the window's own test), ``PROCESS_AHEAD`` in all for worker
    processes; an explicit ``ahead`` wins."""
    seen: list[tuple[int, bool]] = []
    real = qianhub.replaying

    @contextmanager
    def recorded(*args: Any, **kwargs: Any) -> Iterator[Any]:
        ahead = kwargs["ahead"]
        if isinstance(ahead, StackWindow):  # native threads: the floor, then a stack's worth
            assert ahead.most == MOST_AHEAD
            ahead = ahead()
        seen.append((ahead, kwargs["threads"]))
        with real(*args, **kwargs) as results:
            yield results

    monkeypatch.setattr(qianhub, "replaying", recorded)
    monkeypatch.setattr(qianhub, "NATIVE_FLATTEN", native)
    settings = WarehouseSettings(home=tmp_path, reader_copy=False)
    raw = RawStore(tmp_path / "raw")
    day = dt.date(2026, 11, 1)
    with Warehouse.open(settings) as wh:
        for window in (None, 5):
            units = qianhub.replay_days(
                wh, raw, [(day, 10)], settings=settings, workers=workers, ahead=window
            )
            assert list(units) == [(day, 10, None)]  # nothing landed
    assert seen == [(ahead, native), (5, native)]
