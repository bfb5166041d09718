"""THE Pospal cursor rule, in one place.

Paged queries answer ``data = {"result": [...], "pageSize": 100, "postBackParameter": {...}}``.
The first request omits ``postBackParameter`` entirely; every later one sends back the last
answer's ``postBackParameter`` verbatim ("不能变其值"): same keys, same JSON types — a string
stays a string and a number stays a number, even past 2^53 (numbers are kept as Python ints,
never floats, and fractions as ``Decimal``).

Paging stops on the first of:

* fewer rows than ``pageSize`` (an empty page included) — the documented rule;
* a missing or empty cursor — nothing to send back, and sending none would restart at page 1;
* a cursor seen before — the server is looping; we stop with a warning rather than spin;

and a hard page cap raises :class:`PageCapExceeded` instead of silently truncating.
Each page's body is kept whole so raw landing stores exactly what the vendor sent.
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from etl.errors import PermanentVendorError

log = logging.getLogger(__name__)

VENDOR = "pospal"
CURSOR_FIELD = "postBackParameter"


class PageCapExceeded(PermanentVendorError):
    """More pages than the configured cap: the window is implausibly large or the server keeps
    handing out new cursors. Raised instead of silently dropping the rest."""


@dataclass(frozen=True)
class Page:
    """One answer of a paged query: the raw body, how many rows it held, the server's pageSize
    (None when absent) and the cursor to send back (None when absent)."""

    body: bytes
    rows: int
    page_size: int | None
    cursor: object | None


class _PageData(msgspec.Struct):
    result: list[msgspec.Raw] | None = None
    pageSize: int | None = None
    # Any: kept exactly as parsed (ints of any size, Decimal fractions) to be sent back as is.
    postBackParameter: Any = None


class _PageBody(msgspec.Struct):
    # The order document shows ``data`` as a bare list; such an answer is one final page.
    data: _PageData | list[msgspec.Raw] | None = None


_PAGE_DECODER = msgspec.json.Decoder(_PageBody, float_hook=decimal.Decimal)
# Canonical bytes of a cursor, to recognise one seen before whatever its key order.
_CURSOR_KEY = msgspec.json.Encoder(decimal_format="number", order="sorted")


def page_from_body(body: bytes) -> Page:
    """Rows count, ``pageSize`` and ``postBackParameter`` from a success envelope's ``data``.

    Rows are counted without being built. Raises ``ValueError`` when ``data`` is not a page.
    """
    try:
        parsed = _PAGE_DECODER.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a Pospal page: {exc}") from None
    data = parsed.data
    if data is None:
        return Page(body, 0, None, None)
    if isinstance(data, list):
        return Page(body, len(data), None, None)
    rows = len(data.result) if data.result is not None else 0
    return Page(body, rows, data.pageSize, data.postBackParameter)


def is_empty_cursor(cursor: object | None) -> bool:
    """No usable cursor: absent, an empty value, or a parameter object whose value is empty."""
    if cursor is None or cursor in ("", {}, []):
        return True
    if isinstance(cursor, dict) and "parameterValue" in cursor:
        return cursor["parameterValue"] in (None, "")
    return False


def paginate(
    fetch: Callable[[object | None], Page],
    *,
    max_pages: int,
    endpoint: str = "paged query",
) -> Iterator[Page]:
    """Yield pages lazily (each can be landed before the next call) by the rule above.

    ``fetch(None)`` asks for the first page and must then omit the cursor from the request;
    ``fetch(cursor)`` must send ``cursor`` back unchanged. ``endpoint`` names the query in
    messages. Raises ``PageCapExceeded`` when page ``max_pages`` still says there is more.
    """
    if max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, got {max_pages}")
    seen: set[bytes] = set()
    cursor: object | None = None
    for number in range(1, max_pages + 1):
        page = fetch(cursor)
        yield page
        if page.rows == 0 or (page.page_size is not None and page.rows < page.page_size):
            return
        if is_empty_cursor(page.cursor):
            return
        key = _CURSOR_KEY.encode(page.cursor)
        if key in seen:
            log.warning(
                "pospal %s: page %d handed back a cursor already used (%s); stopping here",
                endpoint,
                number,
                key[:200].decode("utf-8", "replace"),
            )
            return
        seen.add(key)
        cursor = page.cursor
    raise PageCapExceeded(
        f"still more after {max_pages} pages (the page cap): narrow the window or raise "
        "POSPAL_MAX_PAGES; nothing past the cap was fetched",
        vendor=VENDOR,
        endpoint=endpoint,
    )
