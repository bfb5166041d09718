"""Window splitting: coverage of [start, end) stays exact while oversized windows are halved."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Sequence

import pytest

from etl.errors import ResponseTooLarge, VendorAuthError, VendorError, VendorTimeout
from etl.qianhub.windows import FetchedWindow, fetch_windows

HOUR = dt.timedelta(hours=1)
START = dt.datetime.fromisoformat("2026-11-01 06:00:00")  # shop-local, naive by design
END = dt.datetime.fromisoformat("2026-11-02 06:00:00")


class FakeGateway:
    """Answers windows up to ``limit`` long; longer ones fail with ``error``."""

    def __init__(self, limit: dt.timedelta, error: type[VendorError] = ResponseTooLarge) -> None:
        self.limit = limit
        self.error = error
        self.calls: list[tuple[dt.datetime, dt.datetime]] = []

    def batch_query(
        self, shop_id: int, boh_types: Sequence[str], begin: dt.datetime, end: dt.datetime
    ) -> bytes:
        assert shop_id == 10 and list(boh_types) == ["cashier.finish"]
        self.calls.append((begin, end))
        if end - begin > self.limit:
            raise self.error("too big", vendor="qianhub", endpoint="qianhub.agent.batch-query")
        return f'[{{"begin":"{begin}"}}]'.encode()


def _fetch(
    gateway: FakeGateway,
    start: dt.datetime = START,
    end: dt.datetime = END,
    *,
    window: dt.timedelta = 24 * HOUR,
    min_window: dt.timedelta = dt.timedelta(minutes=15),
) -> list[FetchedWindow]:
    return list(
        fetch_windows(
            gateway, 10, ["cashier.finish"], start, end, window=window, min_window=min_window
        )
    )


def _assert_exact_cover(
    windows: list[FetchedWindow], start: dt.datetime, end: dt.datetime, limit: dt.timedelta
) -> None:
    assert windows[0].begin == start and windows[-1].end == end
    for left, right in itertools.pairwise(windows):
        assert left.end == right.begin  # contiguous, ascending, no overlap
    for w in windows:
        assert dt.timedelta(0) < w.end - w.begin <= limit
        assert w.begin.microsecond == 0 and w.end.microsecond == 0
        assert w.body == f'[{{"begin":"{w.begin}"}}]'.encode()


def test_oversized_day_is_halved_to_three_hour_windows(caplog: pytest.LogCaptureFixture) -> None:
    gateway = FakeGateway(limit=3 * HOUR)
    with caplog.at_level(logging.INFO, logger="etl.qianhub.windows"):
        windows = _fetch(gateway)
    _assert_exact_cover(windows, START, END, 3 * HOUR)
    assert [w.begin.hour for w in windows] == [6, 9, 12, 15, 18, 21, 0, 3]
    assert len(caplog.records) == 7  # 1 + 2 + 4 splits down from 24 h
    assert "split at 2026-11-01 18:00:00 after ResponseTooLarge" in caplog.records[0].getMessage()


def test_odd_range_splits_on_whole_seconds() -> None:
    end = END + dt.timedelta(seconds=7)
    gateway = FakeGateway(limit=3 * HOUR)
    windows = _fetch(gateway, end=end, window=10 * HOUR)
    _assert_exact_cover(windows, START, end, 3 * HOUR)


def test_timeouts_after_retries_also_split() -> None:
    gateway = FakeGateway(limit=6 * HOUR, error=VendorTimeout)
    windows = _fetch(gateway, window=12 * HOUR)
    _assert_exact_cover(windows, START, END, 6 * HOUR)
    assert len(windows) == 4


def test_small_enough_windows_are_fetched_once_each() -> None:
    gateway = FakeGateway(limit=24 * HOUR)
    windows = _fetch(gateway, window=8 * HOUR)
    assert [(w.begin, w.end) for w in windows] == gateway.calls
    assert [w.end - w.begin for w in windows] == [8 * HOUR] * 3


def test_min_window_reached_reraises() -> None:
    gateway = FakeGateway(limit=dt.timedelta(minutes=10))
    with pytest.raises(ResponseTooLarge):
        _fetch(gateway, min_window=dt.timedelta(minutes=15))
    shortest = min(end - begin for begin, end in gateway.calls)
    assert shortest >= dt.timedelta(minutes=15)


def test_permanent_errors_are_not_split() -> None:
    gateway = FakeGateway(limit=HOUR, error=VendorAuthError)
    with pytest.raises(VendorAuthError):
        _fetch(gateway)
    assert len(gateway.calls) == 1


def test_empty_range_makes_no_call_and_bad_arguments_are_refused() -> None:
    gateway = FakeGateway(limit=HOUR)
    assert _fetch(gateway, end=START) == []
    assert gateway.calls == []
    with pytest.raises(ValueError):
        _fetch(gateway, start=END, end=START)
    with pytest.raises(ValueError):
        _fetch(gateway, window=HOUR, min_window=2 * HOUR)
    with pytest.raises(ValueError):
        _fetch(gateway, end=END.replace(microsecond=1))
