"""Pospal cursor paging and one-day windows, end to end against the simulator: every ticket
lands once when a day fills its pages exactly, when pages repeat a row and the last one repeats
the cursor, and when a range longer than a day is split into windows the vendor accepts; a
server that loops on a used cursor stops the query instead of spinning, and says so."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from etl.config import WarehouseSettings
from etl.errors import VendorRequestError
from etl.flatten.pospal import TICKETS_ENTITY, flatten_ticket_pages
from etl.pipeline.pospal import (
    TICKETS_ENDPOINT,
    VENDOR,
    PagedQuery,
    account_unit,
    run_query,
)
from etl.pospal.client import QUERY_TICKET_PAGES
from etl.pospal.pagination import Page, page_from_body
from etl.pospal.windows import MAX_WINDOW, day_windows
from etl.raw import RawStore
from etl.simulator import PospalWorld
from etl.warehouse import LoadUnit, Warehouse
from tests.pipeline.conftest import (
    DAYS,
    TICKET_PAGE,
    TICKETS_PER_DAY,
    StartPospal,
    load_pospal,
    pospal_accounts,
    pospal_budget,
    pospal_client,
    read_rows,
)

PAGES = "ticketOpenApi/queryTicketPages"
SECOND = dt.timedelta(seconds=1)


def landed_pages(settings: WarehouseSettings, day: dt.date, account: str) -> list[Page]:
    """The ticket pages of the account's newest complete landing for ``day``, in order."""
    landed = RawStore(settings.raw_dir).latest(
        VENDOR, TICKETS_ENDPOINT, day.isoformat(), account_unit(account)
    )
    assert landed is not None
    return [page_from_body(body) for body in landed.bodies()]


def loaded_tickets(settings: WarehouseSettings, account: str = "store-1") -> list[tuple[str, int]]:
    return read_rows(
        settings, "SELECT sn, uid FROM pospal.tickets WHERE account = ? ORDER BY sn", [account]
    )


def truth(world: PospalWorld, *days: dt.date) -> list[tuple[str, int]]:
    app_id = world.stores()[0].app_id
    return sorted(
        (str(t["sn"]), int(str(t["uid"]))) for d in days for t in world.tickets(app_id, d)
    )


def test_a_day_that_fills_its_pages_exactly_lands_every_ticket_once(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    simulator = start_pospal()
    budget = pospal_budget(tmp_path / "budget.sqlite")
    results = load_pospal(simulator, warehouse_settings, budget)
    assert [r.left for r in results] == [[], []]
    expected = truth(pospal_world, *DAYS)
    assert len(expected) == 2 * TICKETS_PER_DAY and TICKETS_PER_DAY % TICKET_PAGE == 0
    assert loaded_tickets(warehouse_settings) == expected  # every ticket, exactly once
    full = TICKETS_PER_DAY // TICKET_PAGE
    for day in DAYS:
        pages = landed_pages(warehouse_settings, day, "store-1")
        # Four full pages, then the empty page that ends paging: it echoes the cursor it was
        # asked with, so the last cursor is a repeat and no fifth request is made.
        assert [p.rows for p in pages] == [TICKET_PAGE] * full + [0]
        assert pages[-1].cursor == pages[-2].cursor
        assert len({json.dumps(p.cursor) for p in pages[:-1]}) == full
    assert simulator.stats.requests[PAGES] == 2 * (full + 1)


def test_repeated_rows_and_a_repeated_cursor_lose_nothing(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    # Every page after the first starts with the previous page's last row again (a server
    # paging with ">="): pages of 4 carry 3 new rows, and after the 36 rows past the first
    # page the last answer is that repeated row alone, under the cursor it was asked with.
    simulator = start_pospal("duplicate=1", page_sizes={"tickets": 4})
    budget = pospal_budget(tmp_path / "budget.sqlite")
    results = load_pospal(simulator, warehouse_settings, budget)
    assert all(r.complete for r in results)
    assert loaded_tickets(warehouse_settings) == truth(pospal_world, *DAYS)
    middle = (TICKETS_PER_DAY - 4) // 3
    for day in DAYS:
        pages = landed_pages(warehouse_settings, day, "store-1")
        assert [p.rows for p in pages] == [4] + [4] * middle + [1]
        assert pages[-1].cursor == pages[-2].cursor
    assert simulator.stats.faults["duplicate"] == 2 * (middle + 1)
    dupes = read_rows(
        warehouse_settings,
        "SELECT count(*) FROM (SELECT sn, line_no FROM pospal.ticket_items GROUP BY ALL "
        "HAVING count(*) > 1)",
    )
    assert dupes == [(0,)]


class LoopingProxy(httpx.BaseTransport):
    """Passes calls to the simulator, but answers every ticket page after the second with the
    second again: a full page whose cursor was already used, as a server stuck in a loop."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.pages: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/" + PAGES):
            return self.inner.handle_request(request)
        if len(self.pages) < 2:
            response = self.inner.handle_request(request)
            self.pages.append(response.read())  # gunzipped
            response.close()
        headers = {"Content-Type": "application/json;charset=UTF-8"}
        return httpx.Response(200, content=self.pages[-1], headers=headers)

    def close(self) -> None:
        self.inner.close()


def test_a_server_looping_on_a_used_cursor_stops_the_query_and_says_so(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator = start_pospal()
    budget = pospal_budget(tmp_path / "budget.sqlite")
    proxy = LoopingProxy()
    with caplog.at_level(logging.WARNING, logger="etl.pospal.pagination"):
        (result,) = load_pospal(simulator, warehouse_settings, budget, DAYS[:1], transport=proxy)
    # The README rule: stop on a cursor seen before (no spinning to the page cap), keep what
    # came, and say so -- the rows past the loop are not there to be had.
    assert result.complete
    app_id = pospal_world.stores()[0].app_id
    first_two_pages = pospal_world.tickets(app_id, DAYS[0])[: 2 * TICKET_PAGE]
    assert loaded_tickets(warehouse_settings) == sorted(
        (str(t["sn"]), int(str(t["uid"]))) for t in first_two_pages
    )
    assert [p.rows for p in landed_pages(warehouse_settings, DAYS[0], "store-1")] == [10] * 3
    assert simulator.stats.requests[PAGES] == 2
    (warning,) = [r for r in caplog.records if "cursor already used" in r.getMessage()]
    assert "queryTicketPages" in warning.getMessage() and "page 3" in warning.getMessage()


class Recorder(httpx.BaseTransport):
    """Passes calls to the simulator and keeps each request body it sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[dict[str, object]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(json.loads(request.read()))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_two_day_range_goes_out_as_windows_of_at_most_one_day(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    simulator = start_pospal()
    (account,) = pospal_accounts(pospal_world, simulator)
    rule = warehouse_settings.rule
    start, end = rule.window(DAYS[0])[0], rule.window(DAYS[1])[1]
    recorder = Recorder()
    budget = pospal_budget(tmp_path / "budget.sqlite")
    with pospal_client(account, budget, transport=recorder) as client:
        with pytest.raises(ValueError, match="at most one day"):
            client.ticket_pages(start, end)  # refused before anything is sent
        assert simulator.stats.total_requests == 0

        def pages() -> Iterator[Page]:
            return itertools.chain.from_iterable(
                client.ticket_pages(a, b) for a, b in day_windows(start, end)
            )

        query = PagedQuery(
            "tickets",
            LoadUnit(VENDOR, TICKETS_ENDPOINT, account_unit(account), DAYS[0], start, end),
            pages,
            lambda bodies: flatten_ticket_pages(bodies, rule, account=account.name),
            TICKETS_ENTITY,
        )
        with Warehouse.open(warehouse_settings) as wh:
            result = run_query(wh, RawStore(warehouse_settings.raw_dir), query)
    windows = [
        (
            dt.datetime.fromisoformat(str(s["startTime"])),
            dt.datetime.fromisoformat(str(s["endTime"])),
        )
        for s in recorder.sent
        if "postBackParameter" not in s
    ]
    assert windows == day_windows(start, end)
    assert windows[0][0] == start and windows[-1][1] == end
    assert all(b - a <= MAX_WINDOW for a, b in windows)
    assert all(b[0] == a[1] - SECOND for a, b in itertools.pairwise(windows))  # overlap 1 s
    assert simulator.stats.errors == {}  # the simulator refuses windows over a day (9003)
    assert result.rows["pospal.tickets"] == 2 * TICKETS_PER_DAY
    assert loaded_tickets(warehouse_settings) == truth(pospal_world, *DAYS)
    per_day = read_rows(
        warehouse_settings,
        "SELECT business_date, count(*) FROM pospal.tickets GROUP BY 1 ORDER BY 1",
    )
    assert per_day == [(DAYS[0], TICKETS_PER_DAY), (DAYS[1], TICKETS_PER_DAY)]


def test_a_window_over_one_day_is_refused_once_and_not_retried(
    start_pospal: StartPospal, pospal_world: PospalWorld, tmp_path: Path
) -> None:
    simulator = start_pospal()
    (account,) = pospal_accounts(pospal_world, simulator)
    budget = pospal_budget(tmp_path / "budget.sqlite")
    too_long = {"startTime": "2026-11-01 06:00:00", "endTime": "2026-11-02 06:00:01"}
    with (
        pospal_client(account, budget) as client,
        pytest.raises(VendorRequestError, match="code 9003") as caught,
    ):
        client.call(QUERY_TICKET_PAGES, too_long)
    assert caught.value.code == 9003
    assert simulator.stats.requests == {PAGES: 1}
    assert budget.used(account.app_id) == 1
