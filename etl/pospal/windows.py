"""Time windows for Pospal's paged queries: at most one day each, overlapping by a second.

``queryTicketPages``, ``queryOrderPages`` and ``queryCustomerHistoryTicketsByUid`` refuse a
window with ``endTime - startTime`` over one day. Older versions of the document said the start
is exclusive and the end inclusive; the current one says nothing. So consecutive windows
overlap by ``overlap`` (one second by default, the API's resolution): a ticket stamped exactly
on a boundary is fetched twice rather than never, and the warehouse upsert (keyed on the
ticket's ``uid``/``sn``) absorbs the duplicate.

Times are store-local wall-clock times (Asia/Shanghai for these stores) as naive datetimes,
sent as ``yyyy-MM-dd HH:mm:ss``.
"""

from __future__ import annotations

import datetime as dt

MAX_WINDOW = dt.timedelta(days=1)
DEFAULT_OVERLAP = dt.timedelta(seconds=1)
# The vendor's ``yyyy-MM-dd HH:mm:ss``: one-second resolution, no zone.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_time(value: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` for a naive store-local datetime.

    Aware datetimes are refused rather than converted (the store's zone is not ours to guess),
    and so are sub-second parts, which the API would silently drop and so open gaps.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        raise ValueError(f"Pospal times are store-local naive datetimes, got aware {value}")
    if value.microsecond:
        raise ValueError(f"Pospal times have one-second resolution, got {value}")
    return value.strftime(TIME_FORMAT)


def window_params(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    """``{"startTime", "endTime"}`` for one query, checked against the one-day limit."""
    if end < start:
        raise ValueError(f"window end {end} is before start {start}")
    if end - start > MAX_WINDOW:
        raise ValueError(
            f"Pospal windows span at most one day (endTime - startTime <= 1 day), got "
            f"{start} .. {end}; split it with day_windows()"
        )
    return {"startTime": format_time(start), "endTime": format_time(end)}


def day_windows(
    start: dt.datetime,
    end: dt.datetime,
    *,
    overlap: dt.timedelta = DEFAULT_OVERLAP,
    span: dt.timedelta = MAX_WINDOW,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Cover ``[start, end]`` with windows of at most ``span`` (≤ one day), ascending.

    The first window starts at ``start``; each later one starts ``overlap`` before the previous
    one ended; the last ends exactly at ``end``. Every boundary is a whole second.
    """
    if end <= start:
        raise ValueError(f"window end {end} is not after start {start}")
    format_time(start)
    format_time(end)
    second = dt.timedelta(seconds=1)
    if overlap < dt.timedelta(0) or overlap % second:
        raise ValueError(f"overlap must be a whole number of seconds >= 0, got {overlap}")
    if span > MAX_WINDOW or span % second or span <= overlap:
        raise ValueError(
            f"span must be whole seconds, longer than the overlap and at most one day, got {span}"
        )
    windows: list[tuple[dt.datetime, dt.datetime]] = []
    begin = start
    while True:
        stop = min(begin + span, end)
        windows.append((begin, stop))
        if stop >= end:
            return windows
        begin = stop - overlap
