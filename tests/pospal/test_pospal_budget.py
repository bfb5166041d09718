"""The daily call budget: atomic spending, persistence across instances, the Shanghai day."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest

from etl.errors import ConfigError, QuotaExhausted
from etl.pospal.budget import CallBudget, parse_access_log

APP = "87EB2C555BBF382E7F6C7B275B0C502A"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


# 23:59:59 on 2026-11-01 in Shanghai is 15:59:59 UTC.
LAST_SECOND = dt.datetime(2026, 11, 1, 15, 59, 59, tzinfo=dt.UTC)


def test_spend_counts_and_refuses_past_limit_minus_reserve(tmp_path: Path) -> None:
    budget = CallBudget(tmp_path / "b.sqlite", limit=5, reserve=2, clock=Clock(LAST_SECOND))
    assert [budget.spend(APP) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(QuotaExhausted) as info:
        budget.spend(APP, endpoint="ticketOpenApi/queryTicketPages")
    assert str(info.value) == (
        f"pospal ticketOpenApi/queryTicketPages: daily call budget spent for app {APP} on "
        "2026-11-01: 3/5 calls used, 2 kept in reserve; resumes after 00:00 Asia/Shanghai"
    )
    assert budget.used(APP) == 3 and budget.remaining(APP) == 0
    assert budget.remaining("other-app") == 3


def test_spend_n_is_all_or_nothing(tmp_path: Path) -> None:
    budget = CallBudget(tmp_path / "b.sqlite", limit=10, clock=Clock(LAST_SECOND))
    budget.spend(APP, 8)
    with pytest.raises(QuotaExhausted, match="3 more asked"):
        budget.spend(APP, 3)
    assert budget.used(APP) == 8
    with pytest.raises(ValueError):
        budget.spend(APP, 0)


def test_persists_across_instances_and_resets_on_the_next_shanghai_day(tmp_path: Path) -> None:
    path = tmp_path / "state" / "budget.sqlite"
    clock = Clock(LAST_SECOND)
    first = CallBudget(path, limit=3, clock=clock)
    first.spend(APP, 3)
    second = CallBudget(path, limit=3, clock=clock)  # another run, same file
    assert second.used(APP) == 3
    with pytest.raises(QuotaExhausted):
        second.spend(APP)
    clock.now = LAST_SECOND + dt.timedelta(seconds=1)  # 00:00:00 in Shanghai, 16:00 UTC
    assert second.today() == dt.date(2026, 11, 2)
    assert second.spend(APP) == 1
    assert second.used(APP, dt.date(2026, 11, 1)) == 3
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_record_vendor_usage_keeps_the_larger_count(tmp_path: Path) -> None:
    budget = CallBudget(tmp_path / "b.sqlite", limit=300, clock=Clock(LAST_SECOND))
    budget.spend(APP, 5)
    today = budget.today()
    assert budget.record_vendor_usage(APP, today, 2) == 5
    assert budget.record_vendor_usage(APP, today, 40) == 40
    assert budget.remaining(APP) == 260
    assert budget.record_vendor_usage(APP, dt.date(2026, 10, 30), 7) == 7


def test_threads_never_overspend(tmp_path: Path) -> None:
    budget = CallBudget(tmp_path / "b.sqlite", limit=50, reserve=10, clock=Clock(LAST_SECOND))
    granted: list[int] = []
    refused: list[int] = []

    def worker() -> None:
        for _ in range(10):
            try:
                granted.append(budget.spend(APP))
            except QuotaExhausted:
                refused.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(granted) == list(range(1, 41)) and len(refused) == 40
    assert budget.used(APP) == 40


def test_bad_settings_and_naive_clock(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        CallBudget(tmp_path / "b.sqlite", limit=10, reserve=11)
    with pytest.raises(ConfigError):
        CallBudget(tmp_path / "b.sqlite", timezone="Mars/Olympus")
    naive = CallBudget(tmp_path / "b.sqlite", clock=lambda: dt.datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="aware"):
        naive.spend(APP)


def test_parse_access_log_takes_our_rows() -> None:
    body = (
        b'{"status":"success","messages":[],"data":['
        b'{"appId":"87eb2c555bbf382e7f6c7b275b0c502a","accessDate":"2026-10-31",'
        b'"haveAcessTimes":212,"limitTimes":300},'
        b'{"appId":"OTHER","accessDate":"2026-10-31","haveAcessTimes":99,"limitTimes":300},'
        b'{"accessDate":"2026-11-01 00:00:00","haveAccessTimes":15}]}'
    )
    assert parse_access_log(body, APP) == {dt.date(2026, 10, 31): 212, dt.date(2026, 11, 1): 15}
    with pytest.raises(ValueError):
        parse_access_log(b'{"data":{"x":1}}', APP)
