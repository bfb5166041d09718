"""A re-checkout pushed as ``ticket.reverse``: the webhook stores it, the ``pospal_push``
sensor asks for a run, the run re-fetches the ticket, and pospal.tickets holds its new
content (one vendor call for it); the sensor then has nothing to do."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest
from pydantic import SecretStr

from dagster_project.definitions import build_definitions
from dagster_project.sensors import PUSH_JOB
from etl.config import WarehouseSettings
from etl.pipeline.pospal import load_days
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.simulator import PospalSimulator, PospalWorld
from etl.warehouse import Warehouse
from etl.webhook.app import create_app
from etl.webhook.server import running

DAY = dt.date(2026, 11, 2)


def _rechecked(world: PospalWorld, app_id: str) -> tuple[str, dt.datetime, dict[str, object]]:
    """A sale re-checked-out on DAY: its sn, a moment before the change, its final body."""
    for history in world.histories(app_id, DAY):
        if history.kind == "sale" and len(history.versions) > 1 and history.late == 0:
            before = history.versions[1][0] - dt.timedelta(seconds=1)
            if before >= history.uploaded:
                return history.sn, before, dict(history.final)
    raise AssertionError("the world has no re-checkout on DAY")


def _content(con: duckdb.DuckDBPyConnection, sn: str) -> list[tuple[object, ...]]:
    """The ticket's row and every child row, lineage left out."""
    rows: list[tuple[object, ...]] = []
    for table in ("tickets", "ticket_items", "ticket_payments"):
        rows += con.execute(
            f"SELECT * EXCLUDE (load_id, loaded_at) FROM pospal.{table} WHERE sn = ? ORDER BY ALL",
            [sn],
        ).fetchall()
    return rows


def test_pushed_reverse_ends_in_tickets_after_the_sensors_run(
    monkeypatch: pytest.MonkeyPatch, warehouse_settings: WarehouseSettings, tmp_path: Path
) -> None:
    world = PospalWorld(seed=11, stores=1, rule=warehouse_settings.rule, members=30)
    ((app_id, key),) = world.accounts().items()
    sn, before, final = _rechecked(world, app_id)
    inbox = tmp_path / "push.sqlite"
    for var in list(os.environ):
        if var.startswith("POSPAL_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("POS_WAREHOUSE_HOME", str(warehouse_settings.home))
    monkeypatch.setenv("POSPAL_PUSH_STORE_FILE", str(inbox))
    monkeypatch.setenv("POSPAL_BUDGET_FILE", str(tmp_path / "budget.sqlite"))
    defs = build_definitions(warehouse_settings)
    sensor = defs.resolve_sensor_def("pospal_push")

    with (
        PospalSimulator(world, accounts=world.accounts()) as sim,
        dg.instance_for_test() as instance,
    ):
        account = PospalAccount("store-1", sim.url, app_id, SecretStr(key))
        monkeypatch.setenv("POSPAL_ACCOUNT_NAME", "store-1")
        monkeypatch.setenv("POSPAL_BASE_URL", sim.url)
        monkeypatch.setenv("POSPAL_APP_ID", app_id)
        monkeypatch.setenv("POSPAL_APP_KEY", key)
        world.as_of = before  # the nightly load saw the ticket before its re-checkout
        budget = CallBudget(tmp_path / "budget.sqlite")
        with (
            PospalClient(account, budget=budget, timeout=2) as client,
            Warehouse.open(warehouse_settings) as wh,
        ):
            load_days(
                client,
                wh,
                RawStore(warehouse_settings.raw_dir),
                account,
                [DAY],
                settings=warehouse_settings,
            )
            old = _content(wh.con, sn)
        skip = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert skip.skip_message and "no push inbox" in skip.skip_message

        world.as_of = dt.datetime.combine(DAY + dt.timedelta(days=2), dt.time(12))
        message = {
            "cmd": "ticket.reverse",
            "timestamp": 1_762_070_000_100,
            "bornTimeStamp": 1_762_070_000_000,
            "version": "1.0",
            "appId": app_id,
            "body": json.dumps({"sn": sn, "uid": final["uid"], "ticketType": 3}),
        }
        raw = json.dumps(message).encode()
        signature = hashlib.md5(key.encode() + raw).hexdigest().upper()
        store = PushStore(inbox)
        with running(create_app(store, {app_id: account})) as base:
            answer = httpx.post(
                base + "/pospal/push", content=raw, headers={"data-signature": signature}
            )
        store.close()
        assert answer.status_code == 200

        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        (request,) = tick.run_requests or []
        calls_before = sim.stats.requests.get("ticketOpenApi/queryTicketBySn", 0)
        run = defs.resolve_job_def(PUSH_JOB).execute_in_process(
            instance=instance, tags=request.tags, run_config=request.run_config
        )
        assert run.success
        assert sim.stats.requests["ticketOpenApi/queryTicketBySn"] - calls_before == 1
        again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert again.skip_message == "no new pushes"

    with duckdb.connect(str(warehouse_settings.warehouse_path), read_only=True) as con:
        assert _content(con, sn) != old  # the re-checkout's new lines or payments
        ((total, items, uid),) = con.execute(
            "SELECT total_amount, item_count, uid FROM pospal.tickets WHERE sn = ?", [sn]
        ).fetchall()
        (status,) = con.execute(
            "SELECT refresh_status FROM pospal.push_events WHERE sn = ?", [sn]
        ).fetchone() or ("missing",)
        dupes = con.execute(
            "SELECT count(*) FROM pospal.tickets GROUP BY account, sn HAVING count(*) > 1"
        ).fetchall()
    assert total == Decimal(str(final["totalAmount"]))
    assert items == len(final["items"])  # type: ignore[arg-type]
    assert uid == final["uid"]
    assert status == "done"
    assert dupes == []
