"""One-day windows with a one-second overlap, and the vendor's time format."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from etl.pospal.windows import MAX_WINDOW, day_windows, format_time, window_params

SECOND = dt.timedelta(seconds=1)
START = dt.datetime(2026, 11, 1, 6, 0, 0)


def test_two_and_a_half_days_make_three_overlapping_windows() -> None:
    end = START + dt.timedelta(days=2, hours=12)
    windows = day_windows(START, end)
    assert windows == [
        (dt.datetime(2026, 11, 1, 6, 0, 0), dt.datetime(2026, 11, 2, 6, 0, 0)),
        (dt.datetime(2026, 11, 2, 5, 59, 59), dt.datetime(2026, 11, 3, 5, 59, 59)),
        (dt.datetime(2026, 11, 3, 5, 59, 58), dt.datetime(2026, 11, 3, 18, 0, 0)),
    ]
    assert all(stop - begin <= MAX_WINDOW for begin, stop in windows)
    assert all(b[0] == a[1] - SECOND for a, b in itertools.pairwise(windows))


def test_exactly_one_day_is_one_window_and_short_ranges_too() -> None:
    assert day_windows(START, START + MAX_WINDOW) == [(START, START + MAX_WINDOW)]
    assert day_windows(START, START + SECOND) == [(START, START + SECOND)]


def test_overlap_zero_gives_contiguous_windows_and_span_is_configurable() -> None:
    windows = day_windows(
        START, START + dt.timedelta(hours=10), overlap=dt.timedelta(0), span=dt.timedelta(hours=4)
    )
    assert [(b.hour, e.hour) for b, e in windows] == [(6, 10), (10, 14), (14, 16)]


@pytest.mark.parametrize(
    ("start", "end", "kwargs"),
    [
        (START, START, {}),
        (START, START - SECOND, {}),
        (START.replace(microsecond=5), START + SECOND, {}),
        (START, START + SECOND, {"overlap": dt.timedelta(milliseconds=500)}),
        (START, START + SECOND, {"overlap": -SECOND}),
        (START, START + SECOND, {"span": MAX_WINDOW + SECOND}),
        (START, START + SECOND, {"span": SECOND, "overlap": SECOND}),
        (START.replace(tzinfo=dt.UTC), START.replace(tzinfo=dt.UTC) + SECOND, {}),
    ],
)
def test_bad_ranges_are_refused(
    start: dt.datetime, end: dt.datetime, kwargs: dict[str, dt.timedelta]
) -> None:
    with pytest.raises(ValueError):
        day_windows(start, end, **kwargs)


def test_format_and_window_params() -> None:
    assert format_time(dt.datetime(2015, 11, 12, 1, 59, 59)) == "2015-11-12 01:59:59"
    assert window_params(START, START + MAX_WINDOW) == {
        "startTime": "2026-11-01 06:00:00",
        "endTime": "2026-11-02 06:00:00",
    }
    with pytest.raises(ValueError, match="at most one day"):
        window_params(START, START + MAX_WINDOW + SECOND)
    with pytest.raises(ValueError, match="before start"):
        window_params(START, START - SECOND)
