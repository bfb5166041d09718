"""Analysts read the published copy while a load runs: never a lock error, never half a unit.

A reader *process* (this module run with ``python -m``) opens the read copy read-only in a loop
and prints one JSON line per read: the state it saw, or the error it got. The test loads
QianHub shop-days from the simulator one unit at a time with ``reader_publish_seconds=0`` and,
after each unit, waits until the reader has seen that unit (no sleeps). Every state seen must
equal the writer's own state right after some whole number of units.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from etl.config import WarehouseSettings
from etl.pipeline import qianhub as pipeline
from etl.qianhub.client import QianhubClient
from etl.raw import RawStore
from etl.simulator import DemoKeys, QianhubWorld
from etl.warehouse import LoadUnit, Warehouse, fingerprints
from tests.conftest import StartQianhub, qianhub_settings_for
from tests.warehouse.test_replica import ITEMS, create_items, items

ROOT = Path(__file__).resolve().parents[2]
DAYS = (dt.date(2026, 11, 3), dt.date(2026, 11, 4))
# Child tables keyed by bill_id: a row here without its bill would be half a unit.
CHILDREN = ("bill_orders", "bill_details", "bill_payments", "bill_promotions", "bill_discounts")
WAIT = 60.0  # seconds: only a guard against a hung reader, never a pacing delay


def observe(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What one read sees, as plain JSON values: committed units, rows per (shop, business
    date) of every qianhub table that has both columns, the shop count, and orphan children."""
    tables = con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE schema_name = 'qianhub' "
        "AND column_name IN ('shop_id', 'business_date') "
        "GROUP BY table_name HAVING count(*) = 2 ORDER BY 1"
    ).fetchall()
    counts = {
        name: con.execute(
            f"SELECT shop_id, business_date::VARCHAR, count(*) FROM qianhub.{name} "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        for (name,) in tables
    }
    orphans = {
        child: con.execute(
            f"SELECT count(*) FROM qianhub.{child} c "
            "WHERE NOT EXISTS (SELECT 1 FROM qianhub.bills b WHERE b.bill_id = c.bill_id)"
        ).fetchall()[0][0]
        for child in CHILDREN
    }
    units = con.execute(
        "SELECT endpoint, unit, business_date::VARCHAR FROM meta.loads "
        "WHERE status = 'committed' ORDER BY ALL"
    ).fetchall()
    shops = con.execute("SELECT count(*) FROM qianhub.shops").fetchall()[0][0]
    state = {"units": units, "counts": counts, "orphans": orphans, "shops": shops}
    plain: dict[str, Any] = json.loads(json.dumps(state))  # tuples -> lists, as the reader sends
    return plain


def reader_main(path: str) -> None:
    """The reader process: read until stdin closes, one JSON line per read on stdout."""
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        try:
            with duckdb.connect(path, read_only=True) as con:
                line: dict[str, Any] = {"state": observe(con)}
        except Exception as exc:  # every error is a finding: report it, keep reading
            line = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(line), flush=True)


class Reader:
    """The reader subprocess and everything it has reported so far."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.warehouse.test_readers", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.states: list[dict[str, Any]] = []
        self.errors: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for text in self.proc.stdout:
            self.lines.put(json.loads(text))
        self.lines.put(None)

    def _take(self, line: dict[str, Any]) -> None:
        if "error" in line:
            self.errors.append(line["error"])
        else:
            self.states.append(line["state"])

    def wait_until_seen(self, units: int) -> None:
        """Block until the reader reports a state with at least ``units`` committed units."""
        while True:
            line = self.lines.get(timeout=WAIT)
            assert line is not None, f"reader exited early: {self._stderr()}"
            self._take(line)
            assert not self.errors, self.errors
            if "state" in line and len(line["state"]["units"]) >= units:
                return

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        while (line := self.lines.get(timeout=WAIT)) is not None:
            self._take(line)
        assert self.proc.wait(timeout=WAIT) == 0, self._stderr()

    def _stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read() if self.proc.poll() is not None else "(still running)"


def table_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        return {n: con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for (n,) in names}


@pytest.mark.slow
def test_reader_process_sees_only_whole_load_units(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    e2e_world: QianhubWorld,
    tmp_path: Path,
) -> None:
    settings = WarehouseSettings(home=tmp_path / "home", reader_publish_seconds=0)
    qianhub = qianhub_settings_for(start_qianhub(), demo_keys)
    raw = RawStore(settings.raw_dir)
    snapshots: dict[int, dict[str, Any]] = {}  # the writer's state after k committed units
    with (
        QianhubClient.from_settings(qianhub, backoff_base=0.0) as client,
        Warehouse.open(settings) as wh,
    ):
        snapshots[0] = observe(wh.con)  # published at open: the copy was missing
        reader = Reader(settings.reader_path)
        try:
            reader.wait_until_seen(0)  # the reader has made its first read
            shops = pipeline.load_shops(client, wh, raw)
            snapshots[1] = observe(wh.con)
            reader.wait_until_seen(1)
            for day in DAYS:
                for shop_id in shops:
                    pipeline.load_shop_day(
                        client, wh, raw, shop_id, day, qianhub=qianhub, settings=settings
                    )
                    units = len(snapshots)
                    snapshots[units] = observe(wh.con)
                    reader.wait_until_seen(units)
        finally:
            reader.stop()

    assert reader.errors == []
    assert len(reader.states) >= len(snapshots)  # every state at least once
    for state in reader.states:
        assert state == snapshots[len(state["units"])]  # exactly the state after whole units
        assert set(state["orphans"].values()) == {0}
    seen_units = {len(state["units"]) for state in reader.states}
    assert seen_units == set(snapshots)
    # Against the simulator's world: a shop-day is either absent or complete.
    full = {(s, str(d)): len(e2e_world.final_bills(s, d)) for s in shops for d in DAYS}
    for state in reader.states:
        for shop_id, day, bills in state["counts"]["bills"]:
            assert bills == full[(shop_id, day)]
    final = snapshots[len(snapshots) - 1]
    assert {(s, d): n for s, d, n in final["counts"]["bills"]} == full
    assert len(snapshots) == 2 + len(DAYS) * len(shops) == 8  # empty, shops, 6 shop-days
    # The copy published last is the warehouse as the load left it.
    assert table_counts(settings.reader_path) == table_counts(settings.warehouse_path)
    schemas = ("meta", "qianhub")
    with (
        duckdb.connect(str(settings.reader_path), read_only=True) as copy,
        duckdb.connect(str(settings.warehouse_path), read_only=True) as original,
    ):
        assert fingerprints(copy, schemas) == fingerprints(original, schemas)


def test_failed_publish_leaves_the_load_committed_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = WarehouseSettings(home=tmp_path / "home", reader_publish_seconds=0)
    real_replace = os.replace

    def disk_full(src: Any, dst: Any) -> None:
        if Path(dst) == settings.reader_path:  # the lake's own renames still work
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    caplog.set_level(logging.WARNING, logger="etl.warehouse.replica")
    with Warehouse.open(settings) as wh:  # publishes the empty copy at open
        create_items(wh)
        monkeypatch.setattr(os, "replace", disk_full)
        result = wh.load(
            LoadUnit("test", "items", "u1", dt.date(2026, 11, 3)), items(1, 2), [ITEMS]
        )
        committed = wh.con.execute(
            "SELECT (SELECT count(*) FROM t.items), "
            "(SELECT count(*) FROM meta.loads WHERE status = 'committed')"
        ).fetchall()
    assert result.rows == {"t.items": 2}
    assert committed == [(2, 1)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # after the unit and again at close
    assert all("No space left on device" in w for w in warnings)
    assert all(str(settings.reader_path) in w for w in warnings)
    assert [p.name for p in settings.home.iterdir() if p.name.endswith(".tmp")] == []
    # Readers keep the previous copy; the next open publishes the state they missed.
    assert table_counts(settings.reader_path)["meta.loads"] == 0
    monkeypatch.undo()
    with Warehouse.open(settings):
        pass
    assert table_counts(settings.reader_path)["meta.loads"] == 1
    assert table_counts(settings.reader_path)["t.items"] == 2


if __name__ == "__main__":
    reader_main(sys.argv[1])
