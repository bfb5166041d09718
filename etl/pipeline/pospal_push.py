"""Pushes -> warehouse: copy the webhook inbox into ``pospal.push_events`` (and malformed
pushes into ``meta.rejects``), then refresh what the pushes say changed.

A refresh re-fetches each pushed ticket (``queryTicketBySn``) or online order
(``queryOrderByNo``) and upserts it as one load unit per account and kind. Batching keeps a
burst cheap against the 300-calls-a-day quota: pushes for one ticket or order (redeliveries,
several re-checkouts) cost one call, and when one business day has more pushed tickets than
a re-pull of the whole day would take pages, the day is re-pulled through
``queryTicketPages`` instead (the day is read from the ``sn``, which starts with the ticket's
``yyyyMMddHHmmss``; tickets the re-pull did not hold are still fetched one by one).

Pushes are marked done only after their rows are committed, so a crash repeats a refresh and
never skips one. ``QuotaExhausted`` stops the run; unfinished pushes stay pending for the next.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace

from etl.batch import EntitySpec, FlatBatch
from etl.config import WarehouseSettings
from etl.errors import PermanentVendorError, QuotaExhausted, VendorError
from etl.flatten.pospal import (
    ORDERS_ENTITY,
    TICKETS_ENTITY,
    flatten_order_pages,
    flatten_ticket_pages,
)
from etl.flatten.pospal_push import flatten_push_events
from etl.flatten.pospal_tables import PUSH_EVENTS_ENTITY
from etl.pipeline.pospal import VENDOR, _relative, day_queries, pay_methods_for, run_query
from etl.pospal.client import PospalClient
from etl.pospal.push import REFRESH_ORDER, REFRESH_TICKET
from etl.pospal.push_store import PushStore, StoredPush
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.warehouse import LoadUnit, Warehouse
from etl.warehouse.meta import utcnow

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # queryTicketPages rows per page (server-chosen; 100 per the specs README)


@dataclass
class PushRunResult:
    """What one run did: events copied, rows refreshed, and what is left or failed."""

    events_exported: int = 0
    rejects_exported: int = 0
    tickets_refreshed: int = 0
    orders_refreshed: int = 0
    days_repulled: list[str] = field(default_factory=list)
    calls: int = 0
    failed: list[str] = field(default_factory=list)
    pending_left: int = 0
    quota_error: str | None = None
    touched: set[tuple[str, dt.date]] = field(default_factory=set)  # (account, business date)


def export_inbox(store: PushStore, wh: Warehouse, settings: WarehouseSettings) -> tuple[int, int]:
    """Upsert every event and reject changed since the last export; returns their counts."""
    after = store.exported_through()
    events, rejects = store.changes(after)
    if not events and not rejects:
        return 0, 0
    high = max([e.change_no for e in events] + [r.change_no for r in rejects])
    batch = flatten_push_events(events, rejects, settings.rule, settings.timezone)
    wh.load(LoadUnit(VENDOR, "push", "inbox"), batch, [PUSH_EVENTS_ENTITY])
    store.mark_exported(high)  # after the commit: a crash in between re-exports (idempotent)
    return len(events), len(rejects)


def _sn_day(sn: str, settings: WarehouseSettings) -> dt.date | None:
    """The business day a ticket ``sn`` names (its first 14 digits are the ticket time)."""
    with suppress(ValueError):
        moment = dt.datetime.strptime(sn[:14], "%Y%m%d%H%M%S")  # noqa: DTZ007 -- store-local
        return settings.rule.business_date(moment)
    return None


def _known_tickets(wh: Warehouse, account: str, day: dt.date) -> int:
    rows = wh.con.execute(
        "SELECT count(*) FROM pospal.tickets WHERE account = ? AND business_date = ?",
        [account, day],
    ).fetchall()
    return int(rows[0][0])


@dataclass
class _Refresh:
    """One kind of look-up for one account: fetch each key, land, flatten, upsert once."""

    endpoint: str
    fetch: Callable[[str], bytes]
    flatten: Callable[[list[bytes]], FlatBatch]
    entity: EntitySpec


def _fetch_all(
    refresh: _Refresh,
    keys: Sequence[str],
    pushes: Mapping[str, list[StoredPush]],
    store: PushStore,
    result: PushRunResult,
) -> tuple[list[bytes], list[StoredPush], VendorError | None]:
    """Bodies of every key, in order, and the error that stopped the loop, if any. A
    permanent error fails that key's pushes (noted) and goes on; the quota or a vendor still
    failing after its retries stops it (the rest stays pending); what was fetched is kept."""
    bodies: list[bytes] = []
    done: list[StoredPush] = []
    for key in keys:
        try:
            bodies.append(refresh.fetch(key))
        except PermanentVendorError as exc:
            store.finish(pushes[key], "failed", f"{refresh.endpoint} {key}: {exc}")
            result.failed.append(f"{refresh.endpoint} {key}: {exc}")
            continue
        except VendorError as exc:  # QuotaExhausted, or transient errors past their retries
            return bodies, done, exc
        done += pushes[key]
    return bodies, done, None


def _load_bodies(
    refresh: _Refresh,
    bodies: list[bytes],
    account: PospalAccount,
    wh: Warehouse,
    raw: RawStore,
) -> FlatBatch:
    unit = LoadUnit(VENDOR, refresh.endpoint, f"account={account.name}+push")
    fetch = raw.start(
        VENDOR, refresh.endpoint, utcnow().date().isoformat(), unit.unit, unit.load_id
    )
    for body in bodies:
        fetch.add(None, None, body)
    landed = fetch.complete().parent
    batch = refresh.flatten(bodies)
    wh.load(replace(unit, raw_path=_relative(landed, raw)), batch, [refresh.entity])
    return batch


def _group(pushes: Iterable[StoredPush], field_name: str) -> dict[str, list[StoredPush]]:
    grouped: dict[str, list[StoredPush]] = defaultdict(list)
    for push in pushes:
        grouped[str(push.value(field_name))].append(push)
    return dict(grouped)


def _repull_days(
    client: PospalClient,
    account: PospalAccount,
    by_sn: dict[str, list[StoredPush]],
    wh: Warehouse,
    raw: RawStore,
    store: PushStore,
    settings: WarehouseSettings,
    pay_methods: dict[str, str],
    result: PushRunResult,
) -> None:
    """Re-pull whole days where that costs fewer calls than one call per ticket; the sns a
    re-pull covered leave ``by_sn`` (their pushes are done)."""
    per_day: dict[dt.date, list[str]] = defaultdict(list)
    for sn in by_sn:
        day = _sn_day(sn, settings)
        if day is not None:
            per_day[day].append(sn)
    for day, sns in sorted(per_day.items()):
        pages = math.ceil((_known_tickets(wh, account.name, day) + len(sns)) / PAGE_SIZE) + 1
        if len(sns) <= pages:
            continue
        query = day_queries(client, account, day, settings, pay_methods)[0]
        loaded = run_query(wh, raw, query)
        present = set(
            wh.con.execute(
                "SELECT sn FROM pospal.tickets WHERE account = ? AND load_id = ?",
                [account.name, loaded.load_id],
            ).fetchall()
        )
        covered = [sn for sn in sns if (sn,) in present]
        for sn in covered:
            store.finish(by_sn.pop(sn), "done", f"day {day} re-pulled")
        result.tickets_refreshed += len(covered)
        result.days_repulled.append(f"{account.name} {day}")
        result.touched.add((account.name, day))


def _used(client: PospalClient) -> int:
    return client.budget.used(client.account.app_id) if client.budget else 0


def refresh_account(
    client: PospalClient,
    pushes: Sequence[StoredPush],
    wh: Warehouse,
    raw: RawStore,
    store: PushStore,
    settings: WarehouseSettings,
    result: PushRunResult,
) -> None:
    """Refresh one account's pending tickets, then its orders."""
    account = client.account
    tickets = _group((p for p in pushes if p.refresh == REFRESH_TICKET), "sn")
    orders = _group((p for p in pushes if p.refresh == REFRESH_ORDER), "orderNo")
    rule = settings.rule
    if tickets:
        pay_methods = pay_methods_for(client, wh, raw, account)
        _repull_days(client, account, tickets, wh, raw, store, settings, pay_methods, result)
        refresh = _Refresh(
            "queryTicketBySn",
            client.ticket_by_sn,
            lambda bodies: flatten_ticket_pages(
                bodies,
                rule,
                account=account.name,
                pay_methods=pay_methods,
                endpoint="queryTicketBySn",
            ),
            TICKETS_ENTITY,
        )
        _refresh_keys(refresh, tickets, account, wh, raw, store, result, "tickets")
    if orders:
        refresh = _Refresh(
            "queryOrderByNo",
            client.order_by_no,
            lambda bodies: flatten_order_pages(
                bodies, rule, account=account.name, endpoint="queryOrderByNo"
            ),
            ORDERS_ENTITY,
        )
        _refresh_keys(refresh, orders, account, wh, raw, store, result, "orders")


def _refresh_keys(
    refresh: _Refresh,
    pushes: dict[str, list[StoredPush]],
    account: PospalAccount,
    wh: Warehouse,
    raw: RawStore,
    store: PushStore,
    result: PushRunResult,
    table: str,
) -> None:
    if not pushes:
        return
    bodies, done, stopped = _fetch_all(refresh, list(pushes), pushes, store, result)
    if bodies:
        batch = _load_bodies(refresh, bodies, account, wh, raw)
        loaded = batch.table(table)
        for day in set(loaded.column("business_date").to_pylist()):
            result.touched.add((account.name, day))
        if table == "tickets":
            result.tickets_refreshed += loaded.num_rows
        else:
            result.orders_refreshed += loaded.num_rows
        store.finish(done, "done")
    if stopped is not None:
        raise stopped


def refresh_pending(
    store: PushStore,
    wh: Warehouse,
    raw: RawStore,
    clients: Mapping[str, PospalClient],
    *,
    settings: WarehouseSettings,
) -> PushRunResult:
    """Export the inbox, refresh every account's pending pushes, export again (so the
    refresh status reaches DuckDB). ``clients`` by account name."""
    result = PushRunResult()
    result.events_exported, result.rejects_exported = export_inbox(store, wh, settings)
    by_account: dict[str, list[StoredPush]] = defaultdict(list)
    for push in store.pending():
        by_account[push.account].append(push)
    for name, pushes in sorted(by_account.items()):
        client = clients.get(name)
        if client is None:
            note = f"Pospal account {name!r} is no longer configured"
            store.finish(pushes, "failed", note)
            result.failed.append(note)
            continue
        before = _used(client)
        try:
            refresh_account(client, pushes, wh, raw, store, settings, result)
        except QuotaExhausted as exc:
            result.quota_error = str(exc)
            log.warning("pospal push refresh for %s stopped: %s", name, exc)
        except VendorError as exc:  # the vendor keeps failing: the rest waits for a run
            result.failed.append(f"account {name}: stopped: {exc}")
            log.warning("pospal push refresh for %s stopped: %s", name, exc)
        finally:
            result.calls += _used(client) - before
    events, rejects = export_inbox(store, wh, settings)
    result.events_exported += events
    result.rejects_exported += rejects
    result.pending_left = store.counts()["pending"]
    return result
