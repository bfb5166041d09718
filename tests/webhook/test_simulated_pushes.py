"""The simulator's push service against the real receiver: a store-day's pushes with bad
signatures, missing signatures, producer duplicates and unknown commands; a receiver down for
the first attempts. Every good push is stored exactly once, no bad one at all."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalAccount
from etl.simulator.pospal_push import PushSender, world_pushes
from etl.simulator.pospal_world import PospalWorld
from etl.webhook.app import create_app
from etl.webhook.server import running

DAY = dt.date(2026, 11, 2)


def _world() -> PospalWorld:
    return PospalWorld(seed=3, stores=1, as_of=dt.datetime(2026, 11, 5, 12), members=20)


def test_a_store_days_pushes_land_once_and_bad_ones_never(tmp_path: Path) -> None:
    world = _world()
    ((app_id, key),) = world.accounts().items()
    pushes = world_pushes(world, app_id, DAY)
    tickets = world.tickets(app_id, DAY)
    assert sum(p.cmd == "ticket.new" for p in pushes) == len(tickets)
    assert any(p.cmd == "ticket.reverse" and '"ticketType": 3' in p.body for p in pushes)
    store = PushStore(tmp_path / "push.sqlite")
    account = PospalAccount("store-1", "http://127.0.0.1:9", app_id, SecretStr(key))
    rates = {"bad_signature": 0.05, "no_signature": 0.03, "duplicate": 0.1, "unknown": 0.03}
    with running(create_app(store, {app_id: account})) as base:
        sender = PushSender(base + "/pospal/push", {app_id: key}, rates=rates, seed=9)
        deliveries = sender.send(pushes)
        sender.close()
    by_fault: dict[str | None, int] = {}
    for d in deliveries:
        by_fault[d.fault] = by_fault.get(d.fault, 0) + 1
    assert all(by_fault.get(f, 0) > 0 for f in rates), by_fault
    refused = [d for d in deliveries if d.fault in ("bad_signature", "no_signature")]
    assert {d.statuses[0] for d in refused} <= {401, 403}
    assert all(len(d.statuses) == 6 for d in refused)  # retried 5 times, as the vendor does
    good = {
        (p.cmd if d.fault != "unknown" else "giftCard.activate", p.born_ms, p.body)
        for d in deliveries
        if d.fault not in ("bad_signature", "no_signature")
        for p in [d.push]
    }
    assert all(d.delivered for d in deliveries if d.fault not in ("bad_signature", "no_signature"))
    events, rejects = store.changes(0)
    store.close()
    assert rejects == []
    assert sorted((e.cmd, e.born_ms, e.body) for e in events) == sorted(good)
    duplicated = [e for e in events if e.deliveries == 2]
    assert len(duplicated) == by_fault["duplicate"] // 2


@contextmanager
def _flaky(fail_first: int) -> Iterator[tuple[str, list[int]]]:
    """A receiver answering 503 to its first ``fail_first`` requests, then 200."""
    seen: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(len(seen) + 1)
            self.send_response(503 if len(seen) <= fail_first else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/pospal/push", seen
    finally:
        server.shutdown()


def test_retries_follow_the_schedule_and_stop_after_five() -> None:
    world = _world()
    ((app_id, key),) = world.accounts().items()
    push = world_pushes(world, app_id, DAY)[0]
    with _flaky(3) as (url, seen):
        sender = PushSender(url, {app_id: key}, time_scale=0.0)
        delivery = sender.deliver(push)
    assert delivery.statuses == [503, 503, 503, 200] and len(seen) == 4
    with _flaky(10) as (url, seen):
        delivery = PushSender(url, {app_id: key}).deliver(push)
    assert delivery.statuses == [503] * 6 and not delivery.delivered and len(seen) == 6
