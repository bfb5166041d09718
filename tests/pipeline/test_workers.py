"""The replay's worker pool: results in the items' order, at most ``ahead`` submitted and not
yet taken, a worker's error raised at its item naming it, and what was not started cancelled
when the caller stops early."""

from __future__ import annotations

from contextlib import closing

import pytest

from etl.errors import LoadError
from etl.pipeline.workers import flatten_pool, in_order


def square(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n * n


def test_results_come_in_order_with_a_bounded_window() -> None:
    submitted: list[int] = []
    taken = 0
    ahead_seen = []

    def args(n: int) -> tuple[int]:
        submitted.append(n)
        ahead_seen.append(len(submitted) - taken)
        return (n,)

    items = [5, 1, 4, 2, 6]
    out = []
    with flatten_pool(2) as pool:
        for item, result in in_order(pool, square, items, args, ahead=2):
            out.append((item, result))
            taken += 1
    assert out == [(5, 25), (1, 1), (4, 16), (2, 4), (6, 36)]
    assert submitted == items
    assert max(ahead_seen) == 2  # never more than ``ahead`` waiting


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
