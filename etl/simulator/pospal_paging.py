"""The ``postBackParameter`` cursor as the simulated server hands it out and takes it back.

Rows are ordered by their internal row id (ascending for ``LAST_RESULT_MAX_ID``, descending for
``LAST_RESULT_MIN_ID``, the member-history variant the document shows); a page is the next
``page_size`` rows past the cursor, and its ``postBackParameter`` names the last row of the page
by an opaque value (:func:`~etl.simulator.pospal_common.cursor_value`: digits, as a JSON string
for some rows and a JSON number -- beyond 2**53 -- for others). A value that comes back changed
in any way, even only its JSON type, is refused with 9003. Rows uploaded between two pages are
simply further along: paging by row id never skips or repeats a row by itself.

An empty page echoes the cursor it was asked with (``null`` on a first page): a client that
keeps asking sees the same cursor again. The ``duplicate`` fault starts a page with the previous
page's last row again (chosen per cursor and seed), as servers paging with ``>=`` do; the page
still holds ``page_size`` rows and nothing is skipped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from etl.simulator.pospal_common import cursor_value, read_cursor_value

MAX_ID = "LAST_RESULT_MAX_ID"
MIN_ID = "LAST_RESULT_MIN_ID"


class CursorError(ValueError):
    """A ``postBackParameter`` this server did not issue (answered 9003)."""


@dataclass(frozen=True)
class PageOut:
    data: dict[str, object]
    duplicated: int


def read_cursor(params: dict[str, object], parameter_type: str, seed: int) -> int | None:
    """The row after which the asked page starts, None for a first page."""
    cursor = params.get("postBackParameter")
    if cursor is None:
        return None
    if not isinstance(cursor, dict):
        raise CursorError("postBackParameter must be an object taken from the last answer")
    if cursor.get("parameterType") != parameter_type:
        raise CursorError(f"postBackParameter.parameterType must be {parameter_type!r}")
    row = read_cursor_value(seed, cursor.get("parameterValue"))
    if row is None:
        raise CursorError("postBackParameter.parameterValue was changed: send it back verbatim")
    return row


def page(
    rows: Sequence[tuple[int, object]],
    after: int | None,
    *,
    page_size: int,
    parameter_type: str,
    seed: int,
    incoming: object,
    duplicate_rate: float = 0.0,
) -> PageOut:
    """One page of ``rows`` ((row id, record) pairs, any order) after row ``after``."""
    descending = parameter_type == MIN_ID
    ordered = sorted(rows, key=lambda item: item[0], reverse=descending)
    if after is None:
        remaining = list(ordered)
    elif descending:
        remaining = [item for item in ordered if item[0] < after]
    else:
        remaining = [item for item in ordered if item[0] > after]
    chosen = remaining[:page_size]
    duplicated = 0
    if (
        after is not None
        and page_size > 1
        and duplicate_rate > 0
        and random.Random(f"{seed}:duplicate:{after}").random() < duplicate_rate
    ):
        previous = [item for item in ordered if item[0] == after]
        if previous:
            chosen = previous + remaining[: page_size - 1]
            duplicated = 1
    if chosen:
        last = chosen[-1][0]
        cursor: object = {
            "parameterType": parameter_type,
            "parameterValue": cursor_value(seed, last),
        }
    else:
        cursor = incoming
    data: dict[str, object] = {
        "postBackParameter": cursor,
        "result": [record for _, record in chosen],
        "pageSize": page_size,
    }
    return PageOut(data, duplicated)
