"""Pospal load units with a scripted vendor (pages, member history, a call quota): what lands,
and a load cut by the quota that the next run finishes."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from etl.config import WarehouseSettings
from etl.errors import QuotaExhausted
from etl.pipeline import pospal as pipeline
from etl.pospal.pagination import Page, page_from_body
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.warehouse import Warehouse, fingerprints

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pospal"
DAY = dt.date(2026, 11, 1)
MEMBER = 1_234_567_890_123_456_789  # > 2**53
ACCOUNT = PospalAccount("store-1", "http://127.0.0.1:9", "app-1", "k" * 32)  # type: ignore[arg-type]


def _tickets(n: int) -> list[dict[str, object]]:
    example = json.loads((FIXTURES / "ticket_pages_example.json").read_text())["data"]["result"][0]
    tickets = []
    for i in range(n):
        ticket = copy.deepcopy(example)
        ticket["uid"] = 1_514_196_146_215_290_000 + i
        ticket["sn"] = f"20261101{i:09d}"
        ticket["datetime"] = f"2026-11-01 {10 + i // 60:02d}:{i % 60:02d}:00"
        ticket["customerUid"] = MEMBER if i % 50 == 0 else 0
        tickets.append(ticket)
    return tickets


def _page(rows: list[dict[str, object]], cursor: str | None) -> Page:
    data: dict[str, object] = {"result": rows, "pageSize": 100}
    if cursor is not None:
        data["postBackParameter"] = {
            "parameterType": "LAST_RESULT_MAX_ID",
            "parameterValue": cursor,
        }
    body = json.dumps({"status": "success", "messages": [], "data": data}).encode()
    return page_from_body(body)


class ScriptedPospal:
    """Answers like the vendor for one store, and stops with QuotaExhausted after ``quota``."""

    def __init__(self, tickets: list[dict[str, object]], quota: int) -> None:
        self.tickets = tickets
        self.quota = quota
        self.calls = 0

    def _spend(self) -> None:
        self.calls += 1
        if self.calls > self.quota:
            raise QuotaExhausted("budget spent", vendor="pospal", endpoint="test")

    def _pages(self, rows: list[dict[str, object]]) -> Iterator[Page]:
        for offset in range(0, len(rows) + 1, 100):
            self._spend()
            chunk = rows[offset : offset + 100]
            yield _page(chunk, str(offset + 100) if len(chunk) == 100 else None)
            if len(chunk) < 100:
                return

    def pay_methods(self) -> bytes:
        self._spend()
        return (FIXTURES / "pay_methods_example.json").read_bytes()

    def ticket_pages(self, start: dt.datetime, end: dt.datetime) -> Iterator[Page]:
        return self._pages(self.tickets)

    def order_pages(self, start: dt.datetime, end: dt.datetime) -> Iterator[Page]:
        return self._pages([])

    def customer_history(
        self, member: int, start: dt.datetime, end: dt.datetime, *, all_stores: bool
    ) -> Iterator[Page]:
        mine = [dict(t, ticketStoreAppIdOrAccount="app-1") for t in self.tickets]
        return self._pages([t for t in mine if t["customerUid"] == member])


def run(settings: WarehouseSettings, vendor: ScriptedPospal) -> list[pipeline.AccountDayResult]:
    with Warehouse.open(settings) as wh:
        return pipeline.load_days(
            vendor,  # type: ignore[arg-type]
            wh,
            RawStore(settings.raw_dir),
            ACCOUNT,
            [DAY],
            settings=settings,
        )


def snapshot(settings: WarehouseSettings) -> list[object]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return list(fingerprints(con, ("pospal",)))


def test_a_day_lands_with_pay_method_names_and_member_history(
    warehouse_settings: WarehouseSettings,
) -> None:
    (result,) = run(warehouse_settings, ScriptedPospal(_tickets(200), quota=100))
    assert result.left == [] and result.quota_error is None
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        tickets = con.execute("SELECT count(*), count(DISTINCT sn) FROM pospal.tickets").fetchall()
        names = con.execute(
            "SELECT DISTINCT pay_method_name FROM pospal.ticket_payments"
        ).fetchall()
        history = con.execute(
            "SELECT DISTINCT customer_uid, count(*) FROM pospal.customer_tickets GROUP BY 1"
        ).fetchall()
    assert tickets == [(200, 200)]  # exactly two full pages, then the empty one
    assert names == [("现金",)]
    assert history == [(MEMBER, 4)]


def test_quota_cut_stops_cleanly_and_the_next_run_finishes(
    warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    clean = WarehouseSettings(home=tmp_path / "clean")
    run(clean, ScriptedPospal(_tickets(250), quota=100))
    # pay methods (1) + 3 ticket pages: the quota runs out before the orders query.
    (cut,) = run(warehouse_settings, ScriptedPospal(_tickets(250), quota=4))
    assert cut.quota_error is not None
    assert cut.left == ["orders", "member histories"]
    assert list(cut.loaded) == ["tickets"]
    (finished,) = run(warehouse_settings, ScriptedPospal(_tickets(250), quota=100))
    assert finished.left == []
    assert snapshot(warehouse_settings) == snapshot(clean)


def test_quota_cut_inside_a_page_sequence_writes_nothing_of_it(
    warehouse_settings: WarehouseSettings,
) -> None:
    (cut,) = run(warehouse_settings, ScriptedPospal(_tickets(250), quota=2))
    assert cut.left == ["tickets", "orders", "member histories"]
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pospal.tickets").fetchall() == [(0,)]
        failed = con.execute(
            "SELECT endpoint, status FROM meta.loads WHERE status = 'failed'"
        ).fetchall()
    assert failed == [("queryTicketPages", "failed")]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POS_WAREHOUSE_HOME", raising=False)


def test_a_failed_pay_methods_call_is_logged_in_meta_loads(
    warehouse_settings: WarehouseSettings,
) -> None:
    vendor = ScriptedPospal(_tickets(3), quota=0)  # the very first call is refused
    (result,) = run(warehouse_settings, vendor)
    assert not result.complete
    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT endpoint, unit, status, error FROM meta.loads WHERE vendor = 'pospal'"
        ).fetchall()
    assert len(rows) == 1
    endpoint, unit, status, error = rows[0]
    assert (endpoint, unit, status) == (pipeline.PAY_METHODS_ENDPOINT, "account=store-1", "failed")
    assert "budget spent" in error
