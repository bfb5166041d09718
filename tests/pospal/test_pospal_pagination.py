"""The cursor rule on its own: paginate() with scripted fetches, page_from_body() on bodies."""

from __future__ import annotations

import decimal
import json
import logging
from typing import Any

import pytest

from etl.pospal.pagination import (
    Page,
    PageCapExceeded,
    is_empty_cursor,
    page_from_body,
    paginate,
)


def cursor(value: object) -> dict[str, Any]:
    return {"parameterType": "LAST_RESULT_MAX_ID", "parameterValue": value}


class Script:
    """fetch() that answers from a list of (rows, cursor) and records the cursors it got."""

    def __init__(self, *pages: tuple[int, object | None], page_size: int | None = 100) -> None:
        self.pages = list(pages)
        self.page_size = page_size
        self.asked: list[object | None] = []

    def __call__(self, sent: object | None) -> Page:
        self.asked.append(sent)
        rows, next_cursor = self.pages[len(self.asked) - 1]
        body = json.dumps({"status": "success", "data": {"n": len(self.asked)}}).encode()
        return Page(body, rows, self.page_size, next_cursor)


def test_100_100_37_is_three_pages_with_cursors_sent_back() -> None:
    fetch = Script((100, cursor("a")), (100, cursor("b")), (37, cursor("c")))
    pages = list(paginate(fetch, max_pages=10))
    assert [p.rows for p in pages] == [100, 100, 37]
    assert fetch.asked == [None, cursor("a"), cursor("b")]


def test_exact_multiple_stops_at_the_empty_page() -> None:
    fetch = Script((100, cursor("a")), (100, cursor("b")), (0, cursor("b")))
    assert [p.rows for p in paginate(fetch, max_pages=10)] == [100, 100, 0]
    assert len(fetch.asked) == 3


@pytest.mark.parametrize("last", [None, "", {}, cursor(""), cursor(None)])
def test_exact_multiple_stops_on_a_missing_or_empty_cursor(last: object) -> None:
    fetch = Script((100, cursor("a")), (100, last))
    assert [p.rows for p in paginate(fetch, max_pages=10)] == [100, 100]
    assert fetch.asked == [None, cursor("a")]


def test_a_repeated_cursor_stops_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    fetch = Script((100, cursor("a")), (100, cursor("b")), (100, cursor("a")), (100, cursor("z")))
    with caplog.at_level(logging.WARNING):
        pages = list(paginate(fetch, max_pages=10, endpoint="ticketOpenApi/queryTicketPages"))
    assert len(pages) == 3 and len(fetch.asked) == 3
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "ticketOpenApi/queryTicketPages" in record.getMessage()
    assert "already used" in record.getMessage()


def test_repeat_detection_ignores_key_order() -> None:
    swapped = {"parameterValue": "a", "parameterType": "LAST_RESULT_MAX_ID"}
    fetch = Script((100, cursor("a")), (100, swapped))
    assert len(list(paginate(fetch, max_pages=10))) == 2


def test_number_cursor_is_handed_back_as_the_same_int() -> None:
    big = 12345678901234567890  # past 2^64 even; a float would round it
    fetch = Script((100, cursor(big)), (5, None))
    list(paginate(fetch, max_pages=10))
    sent = fetch.asked[1]
    assert isinstance(sent, dict) and type(sent["parameterValue"]) is int
    assert sent["parameterValue"] == big


def test_page_cap_raises_instead_of_truncating() -> None:
    fetch = Script(*[(100, cursor(str(i))) for i in range(10)])
    seen: list[Page] = []
    with pytest.raises(PageCapExceeded, match="after 3 pages") as info:
        seen.extend(paginate(fetch, max_pages=3, endpoint="orderOpenApi/queryOrderPages"))
    assert len(seen) == 3 and len(fetch.asked) == 3
    assert info.value.endpoint == "orderOpenApi/queryOrderPages"


def test_a_final_page_exactly_at_the_cap_is_fine() -> None:
    fetch = Script((100, cursor("a")), (100, cursor("b")), (1, None))
    assert len(list(paginate(fetch, max_pages=3))) == 3


def test_without_page_size_only_the_cursor_and_empty_pages_stop() -> None:
    fetch = Script((7, cursor("a")), (3, cursor("b")), (0, cursor("c")), page_size=None)
    assert [p.rows for p in paginate(fetch, max_pages=10)] == [7, 3, 0]


def test_max_pages_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(paginate(Script((1, None)), max_pages=0))


def test_page_from_body_reads_rows_page_size_and_cursor_exactly() -> None:
    body = (
        b'{"status":"success","messages":[],"data":{"postBackParameter":'
        b'{"parameterType":"LAST_RESULT_MAX_ID","parameterValue":12345678901234567890,"f":0.1},'
        b'"result":[{"uid":1},{"uid":2},{"uid":3}],"pageSize":100}}'
    )
    page = page_from_body(body)
    assert (page.body, page.rows, page.page_size) == (body, 3, 100)
    assert page.cursor == {
        "parameterType": "LAST_RESULT_MAX_ID",
        "parameterValue": 12345678901234567890,
        "f": decimal.Decimal("0.1"),
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"status":"success","data":null}', (0, None, None)),
        (b'{"status":"success"}', (0, None, None)),
        (b'{"status":"success","data":{"result":null,"pageSize":100}}', (0, 100, None)),
        (b'{"status":"success","data":[{"a":1},{"b":2}]}', (2, None, None)),
    ],
)
def test_page_from_body_shapes(body: bytes, expected: tuple[int, int | None, object]) -> None:
    page = page_from_body(body)
    assert (page.rows, page.page_size, page.cursor) == expected


@pytest.mark.parametrize(
    "body", [b'{"data":{"result":{}}}', b'{"data":{"pageSize":"100"}}', b'{"data":{"result":[1,']
)
def test_page_from_body_refuses_non_pages(body: bytes) -> None:
    with pytest.raises(ValueError, match="not a Pospal page"):
        page_from_body(body)


def test_is_empty_cursor() -> None:
    assert is_empty_cursor(None) and is_empty_cursor("") and is_empty_cursor([])
    assert is_empty_cursor(cursor("")) and is_empty_cursor(cursor(None))
    assert not is_empty_cursor(cursor(0)) and not is_empty_cursor(cursor("0"))
    assert not is_empty_cursor("opaque") and not is_empty_cursor(42)
