"""Pospal load units, per account (one store's credentials) and business date.

Each unit fetches every page of one paged query for the business-day window (the cursor is
followed verbatim, see :mod:`etl.pospal.pagination`), lands the pages raw and upserts them in
ONE transaction: the day's tickets, then its online orders, then the cross-store history of the
members seen in those tickets. Every HTTP attempt first takes a call from the persisted
per-appId daily budget (300 a day, failed calls included); when it runs out the load stops at a
unit boundary, nothing half-written, and says what is left to fetch. Replay re-reads the
newest complete raw landing of each unit instead of calling the vendor.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from etl.batch import EntitySpec, FlatBatch
from etl.chaos.hooks import kill_point
from etl.config import WarehouseSettings
from etl.errors import LoadError, PosWarehouseError, QuotaExhausted
from etl.flatten.pospal import PAY_METHODS_ENTITY, flatten_pay_methods
from etl.pipeline import pospal_landed
from etl.pipeline.pospal_landed import flattener
from etl.pospal.client import PospalClient
from etl.pospal.pagination import Page
from etl.pospal.settings import PospalAccount
from etl.raw import RawStore
from etl.warehouse import LoadResult, LoadUnit, Warehouse
from etl.warehouse.meta import utcnow
from etl.warehouse.store import total_rows

log = logging.getLogger(__name__)

VENDOR = pospal_landed.VENDOR
PAY_METHODS_ENDPOINT = "queryAllPayMethod"
TICKETS_ENDPOINT = pospal_landed.TICKETS_ENDPOINT
ORDERS_ENDPOINT = pospal_landed.ORDERS_ENDPOINT
HISTORY_ENDPOINT = pospal_landed.HISTORY_ENDPOINT
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
    # Parts done, in order: "pay methods", "tickets", "orders", "member histories".
    finished: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    quota_error: str | None = None

    def rows(self) -> dict[str, int]:
        return total_rows(self.loaded.values())

    @property
    def rejects(self) -> int:
        return sum(r.rejects for r in self.loaded.values())

    @property
    def complete(self) -> bool:
        return self.quota_error is None


def account_unit(account: PospalAccount | str) -> str:
    return pospal_landed.account_unit(account if isinstance(account, str) else account.name)


def history_unit(account: PospalAccount | str, member: int) -> str:
    return f"{account_unit(account)}+customer={member}"


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
    except (PosWarehouseError, OSError) as exc:  # vendor errors and raw-landing disk errors
        wh.record_failure(unit, started_at, exc)
        if isinstance(exc, OSError):
            raise LoadError(f"{unit.describe()}: raw landing failed: {exc}") from exc
        raise
    kill_point("fetched")
    unit = replace(unit, raw_path=_relative(landed, raw))
    return wh.load(unit, query.flatten(bodies), [query.entity])


def _pay_methods_prefix(account: str) -> str:
    return f"account={account}+"


def _pay_method_names(batch: FlatBatch) -> dict[str, str]:
    table = batch.table("pay_methods")
    pairs = zip(table.column("code").to_pylist(), table.column("name").to_pylist(), strict=True)
    return {str(code): str(name) for code, name in pairs if name is not None}


def load_pay_methods(
    client: PospalClient, wh: Warehouse, raw: RawStore, account: PospalAccount
) -> dict[str, str]:
    """Fetch the store's payment methods (code -> name), land and upsert them."""
    unit = LoadUnit(VENDOR, PAY_METHODS_ENDPOINT, account_unit(account))
    started_at = utcnow()
    try:
        body = client.pay_methods()
        name = _pay_methods_prefix(account.name) + unit.load_id
        path = raw.land(VENDOR, unit.endpoint, name, body)
    except (PosWarehouseError, OSError) as exc:  # as run_query: a failed call is in meta.loads
        wh.record_failure(unit, started_at, exc)
        if isinstance(exc, OSError):
            raise LoadError(f"{unit.describe()}: raw landing failed: {exc}") from exc
        raise
    batch = flatten_pay_methods(body, account=account.name)
    wh.load(replace(unit, raw_path=_relative(path, raw)), batch, [PAY_METHODS_ENTITY])
    return _pay_method_names(batch)


def _recently_loaded(wh: Warehouse, endpoint: str, unit: str) -> bool:
    rows = wh.con.execute(
        "SELECT count(*) FROM meta.loads WHERE vendor = ? AND endpoint = ? AND unit = ? "
        "AND status = 'committed' AND finished_at > ?",
        [VENDOR, endpoint, unit, utcnow() - HISTORY_REFRESH],
    ).fetchall()
    return bool(rows[0][0])


def pay_methods_for(
    client: PospalClient, wh: Warehouse, raw: RawStore, account: PospalAccount
) -> dict[str, str]:
    """The account's payment method names: from the warehouse when loaded in the last
    ``HISTORY_REFRESH`` (the nightly look-back runs one partition per day and each call counts
    against the quota), else fetched."""
    if not _recently_loaded(wh, PAY_METHODS_ENDPOINT, account_unit(account)):
        return load_pay_methods(client, wh, raw, account)
    rows = wh.con.execute(
        "SELECT code, name FROM pospal.pay_methods WHERE account = ? AND name IS NOT NULL",
        [account.name],
    ).fetchall()
    return {str(code): str(name) for code, name in rows}


def replay_pay_methods(wh: Warehouse, raw: RawStore, account: str) -> dict[str, str]:
    """Re-load the account's newest landed pay-method list; {} when none was landed."""
    landed = raw.latest_landed(VENDOR, PAY_METHODS_ENDPOINT, _pay_methods_prefix(account))
    if landed is None:
        return {}
    path, body = landed
    unit = LoadUnit(VENDOR, PAY_METHODS_ENDPOINT, account_unit(account), source="replay")
    batch = flatten_pay_methods(body, account=account)
    wh.load(replace(unit, raw_path=_relative(path, raw)), batch, [PAY_METHODS_ENTITY])
    return _pay_method_names(batch)


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


def day_queries(
    client: PospalClient,
    account: PospalAccount,
    day: dt.date,
    settings: WarehouseSettings,
    pay_methods: dict[str, str],
) -> list[PagedQuery]:
    start, end = settings.rule.window(day)
    unit = account_unit(account)
    pages = {
        TICKETS_ENDPOINT: lambda: client.ticket_pages(start, end),
        ORDERS_ENDPOINT: lambda: client.order_pages(start, end),
    }
    queries = []
    for name, endpoint in (("tickets", TICKETS_ENDPOINT), ("orders", ORDERS_ENDPOINT)):
        flatten, entity = flattener(endpoint, account.name, settings.rule, pay_methods)
        load_unit = LoadUnit(VENDOR, endpoint, unit, day, start, end)
        queries.append(PagedQuery(name, load_unit, pages[endpoint], flatten, entity))
    return queries


def _history_query(
    client: PospalClient,
    account: PospalAccount,
    day: dt.date,
    settings: WarehouseSettings,
    member: int,
) -> PagedQuery:
    start, end = settings.rule.window(day)
    flatten, entity = flattener(HISTORY_ENDPOINT, account.name, settings.rule, {}, member)
    return PagedQuery(
        f"customer {member}",
        LoadUnit(VENDOR, HISTORY_ENDPOINT, history_unit(account, member), day, start, end),
        lambda: client.customer_history(member, start, end, all_stores=True),
        flatten,
        entity,
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
    queries = day_queries(client, account, day, settings, pay_methods)
    pending = [q.name for q in queries] + ["member histories"]
    # One lake rewrite per table for the day, not one per unit (every member is a unit).
    with wh.lake_deferred():
        try:
            for query in queries:
                result.loaded[query.name] = run_query(wh, raw, query)
                result.finished.append(query.name)
                pending.remove(query.name)
            members = members_to_refresh(wh, account.name, day)
            for i, member in enumerate(members):
                pending[-1] = f"history of {len(members) - i} members"
                query = _history_query(client, account, day, settings, member)
                result.loaded[query.name] = run_query(wh, raw, query)
            pending.pop()
            result.finished.append("member histories")
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
    """Pay methods (unless fresh), then each business date; stops at the first date the quota
    cut, whose result says what is left."""
    days = list(days)
    try:
        pay_methods = pay_methods_for(client, wh, raw, account)
    except QuotaExhausted as exc:
        left = ["pay methods", "tickets", "orders", "member histories"]
        return [AccountDayResult(account.name, days[0], left=left, quota_error=str(exc))]
    except PosWarehouseError as exc:
        raise LoadError(f"pospal account {account.name}, {PAY_METHODS_ENDPOINT}: {exc}") from exc
    results = []
    for day in days:
        outcome = load_account_day(
            client, wh, raw, account, day, settings=settings, pay_methods=pay_methods
        )
        outcome.finished.insert(0, "pay methods")
        results.append(outcome)
        if outcome.quota_error:
            break
    return results


def landed_accounts(raw: RawStore, day: dt.date) -> list[str]:
    """Accounts with a complete raw landing of their tickets for a business date."""
    units = raw.units(VENDOR, TICKETS_ENDPOINT, day.isoformat())
    return [u.removeprefix("account=") for u in units if u.startswith("account=")]
