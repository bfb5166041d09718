"""Fetch a shop's data for a time range as consecutive batch-query windows, halving on demand.

The gateway documents no paging, size cap, window limit or rate limit. A busy shop's day can
be too large to answer in time or to hold in memory, so we start with a configurable window
(``QIANHUB_WINDOW_HOURS``) and, when one call raises ``ResponseTooLarge`` or still times out
after the client's own retries, fetch that window again as two halves, recursively, down to
``min_window``. Below that the error is re-raised: something other than volume is wrong.

Windows are half-open ``[begin, end)``, contiguous, ascending and never overlapping, and their
boundaries fall on whole seconds because the gateway's times have one-second resolution. The
doc does not say whether ``end`` is inclusive; a bill stamped exactly on a boundary may then
arrive twice, which the warehouse upsert (keyed on ``bill_id``) absorbs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from etl.errors import ResponseTooLarge, VendorTimeout

log = logging.getLogger(__name__)

_SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class FetchedWindow:
    """One batch-query answer: the raw body for shop-local ``[begin, end)``."""

    begin: dt.datetime
    end: dt.datetime
    body: bytes


class BatchQuerier(Protocol):
    """What this module needs from a client (``QianhubClient`` or a test fake)."""

    def batch_query(
        self, shop_id: int, boh_types: Sequence[str], begin: dt.datetime, end: dt.datetime
    ) -> bytes: ...


def fetch_windows(
    client: BatchQuerier,
    shop_id: int,
    boh_types: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    *,
    window: dt.timedelta,
    min_window: dt.timedelta,
) -> Iterator[FetchedWindow]:
    """Yield the bodies covering ``[start, end)`` in ascending windows of at most ``window``.

    Lazy, so each body can be landed before the next call. Raises ``ValueError`` for a bad
    range or window sizes, and re-raises ``ResponseTooLarge``/``VendorTimeout`` when a window
    cannot be halved without a half shorter than ``min_window``.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if start.microsecond or end.microsecond:
        raise ValueError("start and end must fall on whole seconds (the gateway's resolution)")
    if window < _SECOND or min_window < _SECOND:
        raise ValueError("window and min_window must be at least one second")
    if min_window > window:
        raise ValueError(f"min_window {min_window} is longer than window {window}")
    whole_window = _SECOND * int(window / _SECOND)
    cursor = start
    while cursor < end:
        stop = min(cursor + whole_window, end)
        yield from _fetch(client, shop_id, boh_types, cursor, stop, min_window)
        cursor = stop


def _fetch(
    client: BatchQuerier,
    shop_id: int,
    boh_types: Sequence[str],
    begin: dt.datetime,
    end: dt.datetime,
    min_window: dt.timedelta,
) -> Iterator[FetchedWindow]:
    try:
        body = client.batch_query(shop_id, boh_types, begin, end)
    except (ResponseTooLarge, VendorTimeout) as exc:
        # Floor to whole seconds: the first half is the shorter one, so checking it suffices.
        half = _SECOND * (int((end - begin) / _SECOND) // 2)
        if half < min_window:
            raise
        middle = begin + half
        log.info(
            "qianhub shop=%s window=[%s, %s) split at %s after %s",
            shop_id,
            begin,
            end,
            middle,
            type(exc).__name__,
        )
        yield from _fetch(client, shop_id, boh_types, begin, middle, min_window)
        yield from _fetch(client, shop_id, boh_types, middle, end, min_window)
    else:
        yield FetchedWindow(begin, end, body)
