"""Pospal load units, per account (one store's credentials) and business date.

Each unit fetches every page of one paged query for the business-day window (the cursor is
followed verbatim, see :mod:`etl.pospal.pagination`), lands the pages raw and upserts them in
ONE transaction: the day's tickets, then its online orders, then the cross-store history of the
members seen in those tickets. Every HTTP attempt first takes a call from the persisted
per-appId daily budget (300 a day, failed calls included); when it runs out the load stops at a
unit boundary, nothing half-written, and says what is left to fetch.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from etl.batch import EntitySpec, FlatBatch
from etl.config import WarehouseSettings
from etl.errors import LoadError, PosWarehouseError, QuotaExhausted
from etl.flatten.pospal import (
    CUSTOMER_TICKETS_ENTITY,
    ORDERS_ENTITY,
    PAY_METHODS_ENTITY,
    TICKETS_ENTITY,
    flatten_customer_history,
    flatten_order_pages,
    flatten_pay_methods,
    flatten_ticket_pages,
)
from etl.pospal.client import PospalClient
from etl.pospal.pagination import Page
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.warehouse import LoadResult, LoadUnit, Warehouse
from etl.warehouse.meta import utcnow
from etl.warehouse.store import total_rows

log = logging.getLogger(__name__)

VENDOR = "pospal"
# A member whose history was loaded this recently for the same day is not asked again: the
# nightly look-back re-loads four days and the quota is 300 calls a day.
HISTORY_REFRESH = dt.timedelta(hours=20)


@dataclass(frozen=True)
class PagedQuery:
    """One paged vendor query of a unit and how its pages are flattened and upserted."""

    name: str
    unit: LoadUnit
    pages: Callable[[], Iterator[Page]]
    flatten: Callable[[list[bytes]], FlatBatch]
    entity: EntitySpec


@dataclass
class AccountDayResult:
    """One account's business date: what landed, and what is left when the quota ran out."""

    account: str
    business_date: dt.date
    loaded: dict[str, LoadResult] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)
    quota_error: str | None = None

    def rows(self) -> dict[str, int]:
        return total_rows(self.loaded.values())


def account_unit(account: PospalAccount) -> str:
    return f"account={account.name}"


def _relative(path: Path, raw: RawStore) -> str:
    with suppress(ValueError):
        path = path.relative_to(raw.root.parent)
    return str(path)


def run_query(wh: Warehouse, raw: RawStore, query: PagedQuery) -> LoadResult:
    """Fetch and land every page, then upsert them as one transaction."""
    unit = query.unit
    assert unit.business_date and unit.window_start and unit.window_end
    started_at = utcnow()
    fetch = raw.start(
        VENDOR, unit.endpoint, unit.business_date.isoformat(), unit.unit, unit.load_id
    )
    bodies = []
    try:
        for page in query.pages():
            fetch.add(unit.window_start, unit.window_end, page.body)
            bodies.append(page.body)
        landed = fetch.complete().parent
    except PosWarehouseError as exc:
        wh.record_failure(unit, started_at, exc)
        raise
    unit = replace(unit, raw_path=_relative(landed, raw))
    return wh.load(unit, query.flatten(bodies), [query.entity])


def load_pay_methods(
    client: PospalClient, wh: Warehouse, raw: RawStore, account: PospalAccount
) -> dict[str, str]:
    """Fetch the store's payment methods (code -> name), land and upsert them."""
    unit = LoadUnit(VENDOR, "queryAllPayMethod", account_unit(account))
    body = client.pay_methods()
    path = raw.land(VENDOR, unit.endpoint, f"{account.name}-{unit.load_id}", body)
    batch = flatten_pay_methods(body, account=account.name)
    wh.load(replace(unit, raw_path=_relative(path, raw)), batch, [PAY_METHODS_ENTITY])
    table = batch.table("pay_methods")
    pairs = zip(table.column("code").to_pylist(), table.column("name").to_pylist(), strict=True)
    return {str(code): str(name) for code, name in pairs if name is not None}


def members_to_refresh(wh: Warehouse, account: str, day: dt.date) -> list[int]:
    """Members seen in the account's tickets of ``day`` without a fresh history for it."""
    rows = wh.con.execute(
        "SELECT DISTINCT t.customer_uid FROM pospal.tickets AS t "
        "WHERE t.account = ? AND t.business_date = ? AND t.customer_uid IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM meta.loads AS l WHERE l.vendor = 'pospal' "
        "  AND l.endpoint = 'queryCustomerHistoryTicketsByUid' AND l.status = 'committed' "
        "  AND l.business_date = ? AND l.unit = ? || '+customer=' || t.customer_uid::VARCHAR "
        "  AND l.finished_at > ?) ORDER BY 1",
        [account, day, day, f"account={account}", utcnow() - HISTORY_REFRESH],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _queries(
    client: PospalClient,
    account: PospalAccount,
    day: dt.date,
    settings: WarehouseSettings,
    pay_methods: dict[str, str],
) -> list[PagedQuery]:
    start, end = settings.rule.window(day)
    unit = account_unit(account)
    rule = settings.rule
    return [
        PagedQuery(
            "tickets",
            LoadUnit(VENDOR, "queryTicketPages", unit, day, start, end),
            lambda: client.ticket_pages(start, end),
            lambda bodies: flatten_ticket_pages(
                bodies, rule, account=account.name, pay_methods=pay_methods
            ),
            TICKETS_ENTITY,
        ),
        PagedQuery(
            "orders",
            LoadUnit(VENDOR, "queryOrderPages", unit, day, start, end),
            lambda: client.order_pages(start, end),
            lambda bodies: flatten_order_pages(bodies, rule, account=account.name),
            ORDERS_ENTITY,
        ),
    ]


def _history_query(
    client: PospalClient,
    account: PospalAccount,
    day: dt.date,
    rule_settings: WarehouseSettings,
    member: int,
) -> PagedQuery:
    start, end = rule_settings.rule.window(day)
    unit = f"{account_unit(account)}+customer={member}"
    return PagedQuery(
        f"customer {member}",
        LoadUnit(VENDOR, "queryCustomerHistoryTicketsByUid", unit, day, start, end),
        lambda: client.customer_history(member, start, end, all_stores=True),
        lambda bodies: flatten_customer_history(
            bodies, rule_settings.rule, account=account.name, customer_uid=member
        ),
        CUSTOMER_TICKETS_ENTITY,
    )


def load_account_day(
    client: PospalClient,
    wh: Warehouse,
    raw: RawStore,
    account: PospalAccount,
    day: dt.date,
    *,
    settings: WarehouseSettings,
    pay_methods: dict[str, str],
) -> AccountDayResult:
    """Tickets, orders and member histories of one account's business date.

    Stops at the first :class:`QuotaExhausted` (what landed stays; ``left`` names the rest).
    Any other failure raises :class:`LoadError` naming account, business date and window.
    """
    result = AccountDayResult(account.name, day)
    pending = [q.name for q in _queries(client, account, day, settings, pay_methods)]
    try:
        for query in _queries(client, account, day, settings, pay_methods):
            result.loaded[query.name] = run_query(wh, raw, query)
            pending.remove(query.name)
        members = members_to_refresh(wh, account.name, day)
        pending.append(f"history of {len(members)} members")
        for i, member in enumerate(members):
            pending[-1] = f"history of {len(members) - i} members"
            query = _history_query(client, account, day, settings, member)
            result.loaded[query.name] = run_query(wh, raw, query)
        pending.pop()
    except QuotaExhausted as exc:
        result.left = pending
        result.quota_error = str(exc)
        log.warning("pospal %s %s: quota spent; left to fetch: %s", account.name, day, pending)
    except PosWarehouseError as exc:
        start, end = settings.rule.window(day)
        raise LoadError(
            f"pospal account {account.name}, business date {day}, window "
            f"[{start:%Y-%m-%d %H:%M:%S}, {end:%Y-%m-%d %H:%M:%S}]: {exc}"
        ) from exc
    return result


def load_days(
    client: PospalClient,
    wh: Warehouse,
    raw: RawStore,
    account: PospalAccount,
    days: Iterable[dt.date],
    *,
    settings: WarehouseSettings,
) -> list[AccountDayResult]:
    """Pay methods once, then each business date; stops at the first date the quota cut."""
    pay_methods = load_pay_methods(client, wh, raw, account)
    results = []
    for day in days:
        outcome = load_account_day(
            client, wh, raw, account, day, settings=settings, pay_methods=pay_methods
        )
        results.append(outcome)
        if outcome.quota_error:
            break
    return results
