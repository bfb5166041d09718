"""Paged and single look-ups over HTTP against the world's truth: the cursor (verbatim, string or
number), every visible ticket exactly once, late uploads between pages, re-checkouts in place,
exact ids in the body, member histories across stores, refunds and online orders."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from etl.simulator import PospalSimulator, PospalWorld

DAY = dt.date(2026, 11, 2)
START = dt.datetime.combine(DAY, dt.time(6))
WINDOW = {"startTime": f"{START:%Y-%m-%d %H:%M:%S}", "endTime": f"{START:%Y-%m-%d} 23:59:59"}
DAY_WINDOW = {"startTime": WINDOW["startTime"], "endTime": "2026-11-03 06:00:00"}
LATER = dt.datetime(2026, 11, 30)
PREFIX = "/pospal-api2/openapi/v1/"
PAGES = "ticketOpenApi/queryTicketPages"
ENCODER = msgspec.json.Encoder(decimal_format="number")
DECODER = msgspec.json.Decoder(float_hook=Decimal)


class Caller:
    """Signs and sends like a careful client: serialise once, MD5(appKey + bytes), send."""

    def __init__(self, simulator: PospalSimulator, app_id: str) -> None:
        self.simulator = simulator
        self.app_id = app_id
        self.client = httpx.Client(base_url=simulator.url + PREFIX, timeout=10)

    def raw(self, method: str, **params: Any) -> httpx.Response:
        body = ENCODER.encode({"appId": self.app_id, **params})
        key = self.simulator.api.accounts[self.app_id]
        signature = hashlib.md5(key.encode() + body).hexdigest().upper()
        return self.client.post(method, content=body, headers={"data-signature": signature})

    def data(self, method: str, **params: Any) -> Any:
        answer = DECODER.decode(self.raw(method, **params).content)
        assert answer["status"].lower() == "success", answer
        return answer["data"]

    def pages(self, method: str, cursor: Any = None, **params: Any) -> list[dict[str, Any]]:
        """Every page from ``cursor`` on (the first page when None), by the documented rule."""
        pages: list[dict[str, Any]] = []
        while True:
            extra = {} if cursor is None else {"postBackParameter": cursor}
            pages.append(self.data(method, **params, **extra))
            if len(pages[-1]["result"]) < pages[-1]["pageSize"]:
                return pages
            assert len(pages) < 50
            cursor = pages[-1]["postBackParameter"]


@pytest.fixture
def start() -> Iterator[Any]:
    started: list[PospalSimulator] = []

    def run(world: PospalWorld, **kwargs: Any) -> PospalSimulator:
        simulator = PospalSimulator(world, accounts=world.accounts(), **kwargs)
        started.append(simulator.start())
        return simulator

    yield run
    for simulator in started:
        simulator.stop()


def caller(start: Any, world: PospalWorld, store: int = 0, **kwargs: Any) -> Caller:
    return Caller(start(world, **kwargs), world.stores()[store].app_id)


@pytest.mark.parametrize("per_day", [(100, 100), (200, 200), (60, 140)])
def test_paging_returns_every_visible_ticket_exactly_once(
    start: Any, per_day: tuple[int, int]
) -> None:
    world = PospalWorld(tickets_per_day=per_day, as_of=LATER)
    api = caller(start, world)
    pages = api.pages(PAGES, **DAY_WINDOW)
    rows = [ticket for page in pages for ticket in page["result"]]
    expected = world.tickets(api.app_id, DAY)
    assert rows == expected  # same tickets, same content, row order, none twice
    assert len({t["uid"] for t in rows}) == len(rows)
    assert {page["pageSize"] for page in pages} == {100}
    if per_day[0] == per_day[1]:
        assert len(rows) == per_day[0]
        # An exact multiple of the page size ends with one empty page.
        assert [len(p["result"]) for p in pages] == [100] * (per_day[0] // 100) + [0]
        assert pages[-1]["postBackParameter"] == pages[-2]["postBackParameter"]


def test_the_cursor_goes_back_verbatim_string_or_number(start: Any) -> None:
    world = PospalWorld(tickets_per_day=(900, 900), as_of=LATER)
    api = caller(start, world)
    pages = api.pages(PAGES, **DAY_WINDOW)
    cursors = [page["postBackParameter"] for page in pages[:-1]]
    assert {c["parameterType"] for c in cursors} == {"LAST_RESULT_MAX_ID"}
    values = [c["parameterValue"] for c in cursors]
    assert {type(v) for v in values} == {str, int}  # opaque: either JSON type occurs
    number = next(v for v in values if isinstance(v, int))
    text = next(v for v in values if isinstance(v, str))
    assert number > 2**53  # a client passing it through a float breaks it
    type_ = "LAST_RESULT_MAX_ID"
    changed = [
        {"parameterType": type_, "parameterValue": str(number)},
        {"parameterType": type_, "parameterValue": int(text)},
        {"parameterType": type_, "parameterValue": float(number)},
        {"parameterType": type_, "parameterValue": number + 1},
        {"parameterType": "abcd", "parameterValue": number},
        {"parameterValue": number},
    ]
    for cursor in changed:
        answer = api.raw(PAGES, **DAY_WINDOW, postBackParameter=cursor).json()
        assert (answer["status"], answer["errorCode"]) == ("error", 9003), cursor
    # Sent back as received (even as a Decimal-free exact integer), it pages on.
    ok = api.data(
        PAGES, **DAY_WINDOW, postBackParameter={"parameterType": type_, "parameterValue": number}
    )
    assert len(ok["result"]) > 0


def test_ids_are_exact_integers_in_the_body(start: Any) -> None:
    world = PospalWorld(as_of=LATER)
    api = caller(start, world)
    response = api.raw(PAGES, **DAY_WINDOW)
    text = response.content.decode()
    for ticket in world.tickets(api.app_id, DAY)[:100]:
        for key in ("uid", "cashierUid"):
            assert f'"{key}":{ticket[key]},' in text
    for match in re.finditer(
        r'"(uid|cashierUid|customerUid|productUid|sellTicketUid)":([^,}]+)', text
    ):
        assert re.fullmatch(r"\d+", match.group(2)), match.group(0)
    assert '"totalAmount":"' not in text  # money is a JSON number, not a string
    first = DECODER.decode(response.content)["data"]["result"][0]
    assert isinstance(first["totalAmount"], Decimal | int)


def test_a_late_upload_between_two_pages_arrives_on_a_later_page(start: Any) -> None:
    world = PospalWorld(tickets_per_day=(250, 250))
    app_id = world.stores()[0].app_id
    late = next(h for h in world.histories(app_id, DAY) if h.late == 1)
    world.as_of = late.uploaded - dt.timedelta(seconds=1)
    api = caller(start, world)
    before = [t["uid"] for page in api.pages(PAGES, **DAY_WINDOW) for t in page["result"]]
    assert late.uid not in before and len(before) < 250
    first = api.data(PAGES, **DAY_WINDOW)
    world.as_of = late.uploaded  # the offline till uploads while we page
    rest = api.pages(PAGES, first["postBackParameter"], **DAY_WINDOW)
    after = [t["uid"] for t in first["result"]] + [t["uid"] for p in rest for t in p["result"]]
    assert late.uid in after and late.uid not in before
    assert sorted(after) == sorted({*before, late.uid})


def test_a_recheckout_changes_the_ticket_in_place(start: Any) -> None:
    world = PospalWorld(as_of=LATER)
    app_id = world.stores()[0].app_id
    history = next(
        h
        for h in world.histories(app_id, DAY)
        if len(h.versions) > 1 and h.versions[1][1]["invalid"] == h.versions[0][1]["invalid"]
    )
    api = caller(start, world)
    world.as_of = history.versions[1][0] - dt.timedelta(seconds=1)
    old = api.data("ticketOpenApi/queryTicketBySn", sn=history.sn)
    world.as_of = history.versions[1][0]
    new = api.data("ticketOpenApi/queryTicketBySn", sn=history.sn)
    assert (old["uid"], old["sn"], old["datetime"]) == (new["uid"], new["sn"], new["datetime"])
    assert (old["items"], old["payments"]) != (new["items"], new["payments"])
    assert DECODER.decode(ENCODER.encode(history.versions[1][1])) == new
    world.as_of = history.uploaded - dt.timedelta(seconds=1)
    assert api.data("ticketOpenApi/queryTicketBySn", sn=history.sn) is None  # not yet uploaded


def test_member_history_pages_downwards_across_stores(start: Any) -> None:
    world = PospalWorld(as_of=LATER, members=6)  # few members: each shops everywhere daily
    stores = world.stores()
    member = max(world.members(), key=lambda m: m.weight).uid
    api = caller(start, world, page_sizes={"history": 3})
    params = {**DAY_WINDOW, "customerUid": str(member)}
    everywhere = api.pages(
        "ticketOpenApi/queryCustomerHistoryTicketsByUid", **params, queryAllStoreConsume=1
    )
    own = api.pages("ticketOpenApi/queryCustomerHistoryTicketsByUid", **params)
    assert {p["postBackParameter"]["parameterType"] for p in everywhere if p["result"]} == {
        "LAST_RESULT_MIN_ID"
    }
    every_row = [t for page in everywhere for t in page["result"]]
    own_rows = [t for page in own for t in page["result"]]
    expected = world.customer_tickets(member, DAY)
    key = lambda t: t["uid"]  # noqa: E731
    assert sorted(every_row, key=key) == sorted(expected, key=key)
    assert len({t["uid"] for t in every_row}) == len(every_row) > 3
    assert {t["ticketStoreAppIdOrAccount"] for t in every_row} == {s.app_id for s in stores}
    assert sorted(own_rows, key=key) == sorted(
        world.customer_tickets(member, DAY, app_id=stores[0].app_id), key=key
    )
    # The customerUid may also go as a JSON integer (the document types it String).
    as_number = api.data(
        "ticketOpenApi/queryCustomerHistoryTicketsByUid", **{**params, "customerUid": member}
    )
    assert as_number["result"] == own[0]["result"]


def test_refund_look_ups_both_ways(start: Any) -> None:
    world = PospalWorld(as_of=LATER)
    app_id = world.stores()[0].app_id
    refund = next(h for h in world.histories(app_id, DAY) if h.sell_ticket_uid is not None)
    sale = next(
        t
        for day in (DAY - dt.timedelta(days=1), DAY)
        for t in world.tickets(app_id, day)
        if t["uid"] == refund.sell_ticket_uid
    )
    api = caller(start, world)
    shown = DECODER.decode(ENCODER.encode(refund.final))
    sold = DECODER.decode(ENCODER.encode(sale))
    assert (
        api.data("ticketOpenApi/queryRefunTicketBySellTicketUid", sellTcketUid=sale["uid"]) == shown
    )
    assert (
        api.data("ticketOpenApi/queryRefunTicketBySellTicketUid", sellTcketUid=str(sale["uid"]))
        == shown
    )
    assert api.data("ticketOpenApi/queryRefunTicketBySellTicketSn", sellTcketSn=sale["sn"]) == shown
    assert (
        api.data("ticketOpenApi/querySellTicketByRefunTicketUid", refunTcketUid=refund.uid) == sold
    )
    assert api.data("ticketOpenApi/querySellTicketByRefunTicketSn", refunTcketSn=refund.sn) == sold
    assert (
        api.data("ticketOpenApi/queryRefunTicketBySellTicketUid", sellTcketUid=refund.uid) is None
    )
    other = Caller(api.simulator, world.stores()[1].app_id)  # another store sees none of it
    assert other.data("ticketOpenApi/queryTicketBySn", sn=sale["sn"]) is None
    assert (
        other.data("ticketOpenApi/querySellTicketByRefunTicketUid", refunTcketUid=refund.uid)
        is None
    )


def test_orders_page_and_change_state_over_time(start: Any) -> None:
    world = PospalWorld(tickets_per_day=(140, 140))
    # The store with the most online orders that day (0..6 each).
    store = max(range(3), key=lambda i: len(world.order_histories(world.stores()[i].app_id, DAY)))
    app_id = world.stores()[store].app_id
    orders = world.order_histories(app_id, DAY)
    assert len(orders) > 2
    done = next(o for o in orders if o.completed is not None)
    api = caller(start, world, store, page_sizes={"orders": 2})
    states = []
    for moment, state in done.events:
        world.as_of = moment
        states.append(api.data("orderOpenApi/queryOrderByNo", orderNo=done.order_no)["state"])
        ticket = api.data("ticketOpenApi/queryTicketByOrderNo", orderNo=done.order_no)
        assert (ticket is not None) == (state == 4)
    assert states == [state for _, state in done.events]
    assert states[-1] == 4 and 0 in states
    world.as_of = LATER
    rows = [o for p in api.pages("orderOpenApi/queryOrderPages", **DAY_WINDOW) for o in p["result"]]
    assert rows == DECODER.decode(ENCODER.encode(world.orders(app_id, DAY)))
    assert len(rows) == len(orders)
    world.as_of = done.created - dt.timedelta(seconds=1)
    assert api.data("orderOpenApi/queryOrderByNo", orderNo=done.order_no) is None
