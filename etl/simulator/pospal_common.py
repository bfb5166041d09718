"""Small helpers of the simulated Pospal world: ids, row ids, cursor values, wire money.

Money is :class:`~decimal.Decimal` throughout and goes on the wire in its shortest exact form
(``72``, ``9.42``, ``0.352``) through :func:`etl.simulator.qianhub_common.wire`, as the vendor's
Java ``BigDecimal`` fields print; time text and snowflakes are shared with the QianHub world.

Three id families, all deterministic:

* ticket ``uid``: a snowflake of the ticket's time and the store's index (19 digits from 2018 on,
  so always above 2**53); :func:`uid_parts` reads the time and store back, which is how a look-up
  by uid finds the business day to generate;
* ``cashierUid`` / ``customerUid`` / ``productUid``: random 18- or 19-digit Longs (:func:`big_id`);
* the *row id*: the vendor's internal insert order, behind the ``LAST_RESULT_MAX_ID`` cursor.
  It grows with the *upload* time, so a ticket uploaded a day late by an offline till sorts
  after everything uploaded before it, as rows of a database table do.
"""

from __future__ import annotations

import datetime as dt
import random

from etl.simulator.qianhub_common import (
    ID_EPOCH,
    MAX_WORKERS,
    SEQUENCE_BITS,
    WORKER_BITS,
)

# Row ids start at 2**60: cursor values sent as JSON numbers exceed 2**53, so a client that
# passes the cursor through a float sends back a different number (and gets 9003).
ROW_BASE = 1 << 60
_ROW_WORKER_BITS = 10
MIN_BIG_ID = 10**17  # 18 digits, > 2**53
MAX_BIG_ID = (1 << 63) - 1
MAX_STORES = MAX_WORKERS


def big_id(rng: random.Random) -> int:
    """A random vendor Long of 18 or 19 digits (always > 2**53, < 2**63)."""
    if rng.random() < 0.4:
        return rng.randrange(MIN_BIG_ID, 10**18)
    return rng.randrange(10**18, MAX_BIG_ID)


def epoch_ms(moment: dt.datetime) -> int:
    """Milliseconds from the snowflake epoch to a shop-local time."""
    elapsed = moment - ID_EPOCH
    return (elapsed.days * 86_400 + elapsed.seconds) * 1000 + elapsed.microseconds // 1000


def uid_parts(uid: int) -> tuple[dt.datetime, int]:
    """(shop-local time to the millisecond, store index) encoded in a ticket uid."""
    ms = uid >> (WORKER_BITS + SEQUENCE_BITS)
    worker = (uid >> SEQUENCE_BITS) & (MAX_WORKERS - 1)
    return ID_EPOCH + dt.timedelta(milliseconds=ms), worker


def row_id(uploaded: dt.datetime, late: bool, worker: int) -> int:
    """The internal row id of a ticket or order uploaded at ``uploaded`` by store ``worker``.

    Unique per store as long as a store's uploads differ in millisecond or lateness, which the
    day generator guarantees; the late bit keeps a late upload from colliding with a live one.
    """
    return ROW_BASE + (((epoch_ms(uploaded) * 2 + int(late)) << _ROW_WORKER_BITS) | worker)


def cursor_value(seed: int, row: int) -> int | str:
    """The opaque ``parameterValue`` for a page ending at ``row``: the digits of the row id,
    as a JSON string for some rows and a JSON number for others (a pure function of seed and
    row, so the server can tell a value sent back verbatim from one a client changed)."""
    if random.Random(f"{seed}:cursor:{row}").random() < 0.5:
        return str(row)
    return row


def read_cursor_value(seed: int, value: object) -> int | None:
    """The row id behind a cursor value, or None when the value is not one this server issued
    in that exact JSON type (a string turned number, a number turned float, an edited value)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        row = int(value)
    elif isinstance(value, int):
        row = value
    else:
        return None
    if row < ROW_BASE or row > MAX_BIG_ID or cursor_value(seed, row) != value:
        return None
    return row
