"""Vendor times and dates: shop-local wall-clock text to naive ``datetime`` / ``date``.

The document's format is ``yyyy-MM-dd HH:mm:ss`` (``2018-07-28 15:30:43``). The vendor also
writes dates without zero padding (``list-shop`` ``business_on`` is ``"2018-1-1"``), so each
month, day, hour, minute and second field may have one or two digits
(``2018-7-8 9:05:03`` is accepted). Nothing else is: no ``T`` separator, no fractional
seconds, no zone suffix -- an unexpected shape is a reject to look at, not a guess. Values are
never given a zone: they are stored as naive ``TIMESTAMP`` in shop-local time (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import re

from etl.errors import RecordError

_TIME = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def parse_time(text: str | None, field: str) -> dt.datetime | None:
    """``yyyy-MM-dd HH:mm:ss`` (padding optional) as a naive shop-local datetime; None stays None.

    Raises :class:`RecordError` naming ``field`` for any other shape or an impossible time.
    """
    if text is None:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise RecordError(f"{field} {text!r} is not a time 'yyyy-MM-dd HH:mm:ss'")
    year, month, day, hour, minute, second = map(int, match.groups())
    try:
        # Naive on purpose: vendor times are shop-local wall-clock time.
        return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError:
        raise RecordError(f"{field} {text!r} is not a valid time") from None


def parse_date(text: str | None, field: str) -> dt.date | None:
    """``yyyy-MM-dd`` (padding optional, ``2018-1-1``) as a date; None stays None."""
    if text is None:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise RecordError(f"{field} {text!r} is not a date 'yyyy-MM-dd'")
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise RecordError(f"{field} {text!r} is not a valid date") from None


def require_time(text: str | None, field: str) -> dt.datetime:
    """Like :func:`parse_time`, but a missing value is a reject: ``field`` is a key or version."""
    value = parse_time(text, field)
    if value is None:
        raise RecordError(f"{field} is missing")
    return value
