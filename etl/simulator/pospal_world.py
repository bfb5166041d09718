"""The simulated Pospal chain: stores (accounts), members, tickets and online orders over time.

:class:`PospalWorld` is deterministic: a store-day is a pure function of (seed, store,
business_date) -- plus the day before, whose sales a return may refund -- generated on first
use and kept in a bounded LRU cache. ``as_of`` is the simulator's clock (shop-local naive
time, Asia/Shanghai): the API shows only what exists at ``as_of``; tests move it forward. With
``as_of = None`` the real clock is used.

What the world guarantees (tests may rely on it):

* accounts: store ``i`` has a 32-hex-digit ``appId`` and an 18-digit ``appKey``, both fixed
  by (seed, i); ``ticketStoreAppIdOrAccount`` on its tickets is its ``appId``.
* ids: ticket ``uid`` (a snowflake: time + store), ``cashierUid``, ``customerUid`` and
  ``productUid`` have 18 or 19 digits, 2**53 < id < 2**63; ``uid`` is unique in the chain,
  ``sn`` (``yyyyMMddHHmmss`` + millis + a 4-digit day counter) unique per store.
* counts: a store-day has exactly ``randint(*tickets_per_day)`` tickets whose ``datetime`` is
  in the business day (online-order tickets and returns included), all eventually visible.
* money: the invariants of :mod:`etl.simulator.pospal_tickets` hold for every version;
  ``SELL_RETURN`` tickets are positive and ``sellTicketUid`` names an earlier sale of the same
  store (same or previous business day) that is never refunded twice.
* time: ``late`` tickets (~4%) become visible at 10:00 one or two calendar days after their
  business day; re-checkouts (~5%) and late voids change a ticket in place (same ``uid``,
  ``sn``, ``datetime``) minutes to 20 hours after upload; orders change ``state`` over minutes.
* members belong to the chain (shared ``customerUid``) and buy in every store.
* data exists for business dates 2018-01-01..2069-12-31; outside it a store has nothing.

Returned dicts are shared with the cache: treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import OrderedDict
from typing import TypeVar

from etl.business_day import BusinessDayRule
from etl.simulator.pospal_day import StoreDay, TicketHistory, build_day
from etl.simulator.pospal_orders import Order, OrderHistory
from etl.simulator.pospal_plan import DayPlan, Rates, plan_day
from etl.simulator.pospal_stores import (
    Member,
    StoreProfile,
    make_members,
    make_stores,
    pay_method_rows,
)
from etl.simulator.pospal_tickets import Ticket
from etl.simulator.qianhub_common import FIRST_DATA_DATE, LAST_DATA_DATE

STORE_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
_EARLIEST_START = dt.time(4, 0)
_LATEST_START = dt.time(10, 0)
_V = TypeVar("_V")


class PospalWorld:
    """Stores, members, tickets and orders of a seeded Pospal chain."""

    def __init__(
        self,
        seed: int = 20261102,
        stores: int = 3,
        tickets_per_day: tuple[int, int] = (60, 140),
        rule: BusinessDayRule = BusinessDayRule(),  # noqa: B008 -- frozen dataclass, immutable
        *,
        as_of: dt.datetime | None = None,
        members: int = 120,
        rates: Rates = Rates(),  # noqa: B008 -- frozen dataclass, immutable
        cache_days: int = 256,
    ) -> None:
        if not _EARLIEST_START <= rule.start <= _LATEST_START:
            # Trading hours and the 10:00 late uploads need room on both sides of the day.
            raise ValueError(f"business day start must be 04:00..10:00, got {rule.start}")
        low, high = tickets_per_day
        if not 0 <= low <= high <= 5000:
            raise ValueError(f"tickets_per_day must be 0 <= low <= high <= 5000, got {low, high}")
        if members < 1:
            raise ValueError(f"members must be >= 1, got {members}")
        self.seed = seed
        self.rule = rule
        self.tickets_per_day = tickets_per_day
        self.rates = rates
        self.as_of = as_of
        self._stores = make_stores(seed, stores)
        self._by_app = {s.app_id: s for s in self._stores}
        self._members = make_members(seed, members)
        self._plans: OrderedDict[tuple[int, dt.date], DayPlan] = OrderedDict()
        self._days: OrderedDict[tuple[int, dt.date], StoreDay] = OrderedDict()
        self._cache_days = cache_days
        self._lock = threading.Lock()

    # -- the clock and the chain ---------------------------------------------------------

    def now(self, as_of: dt.datetime | None = None) -> dt.datetime:
        """``as_of``, else the world's clock, else the real time in Asia/Shanghai (naive)."""
        moment = as_of or self.as_of
        if moment is None:
            return dt.datetime.now(STORE_ZONE).replace(tzinfo=None)
        return moment

    def accounts(self) -> dict[str, str]:
        """appId -> appKey of every store (demo values: fine to print)."""
        return {s.app_id: s.app_key for s in self._stores}

    def stores(self) -> list[StoreProfile]:
        return list(self._stores)

    def store(self, app_id: str) -> StoreProfile:
        """The store of an appId; KeyError if unknown."""
        return self._by_app[app_id]

    def members(self) -> list[Member]:
        return list(self._members)

    def pay_methods(self, app_id: str) -> list[dict[str, object]]:
        """``queryAllPayMethod`` rows of the store: payCode_1 is 现金, the rest store-specific."""
        return pay_method_rows(self.store(app_id))

    # -- days ----------------------------------------------------------------------------

    def day(self, app_id: str, business_date: dt.date) -> StoreDay:
        """Everything store ``app_id`` records on ``business_date`` (cached)."""
        store = self.store(app_id)
        key = (store.index, business_date)
        with self._lock:
            cached = self._days.get(key)
            if cached is not None:
                self._days.move_to_end(key)
                return cached
        previous = self._plan(store, business_date - dt.timedelta(days=1))
        built = build_day(self._plan(store, business_date), previous, self.seed, store)
        return self._remember(self._days, key, built)

    def _plan(self, store: StoreProfile, business_date: dt.date) -> DayPlan:
        key = (store.index, business_date)
        with self._lock:
            cached = self._plans.get(key)
            if cached is not None:
                self._plans.move_to_end(key)
                return cached
        in_range = FIRST_DATA_DATE <= business_date <= LAST_DATA_DATE
        counts = self.tickets_per_day if in_range else (0, 0)
        plan = plan_day(
            store, self._members, self.seed, business_date, self.rule, counts, self.rates
        )
        return self._remember(self._plans, key, plan)

    def _remember(
        self, cache: OrderedDict[tuple[int, dt.date], _V], key: tuple[int, dt.date], value: _V
    ) -> _V:
        with self._lock:
            # Another thread may have built the same day meanwhile: it is identical.
            value = cache.setdefault(key, value)
            while len(cache) > self._cache_days:
                cache.popitem(last=False)
        return value

    def histories(self, app_id: str, business_date: dt.date) -> list[TicketHistory]:
        """Every ticket of the store-day with its whole history, in row (upload) order."""
        return list(self.day(app_id, business_date).tickets)

    def order_histories(self, app_id: str, business_date: dt.date) -> list[OrderHistory]:
        return list(self.day(app_id, business_date).orders)

    def tickets(
        self, app_id: str, business_date: dt.date, as_of: dt.datetime | None = None
    ) -> list[Ticket]:
        """The store-day's tickets visible at ``as_of``, each in its latest state, in row
        order -- what paging through ``queryTicketPages`` over the whole day returns."""
        now = self.now(as_of)
        seen = (h.at(now) for h in self.day(app_id, business_date).tickets)
        return [t for t in seen if t is not None]

    def orders(
        self, app_id: str, business_date: dt.date, as_of: dt.datetime | None = None
    ) -> list[Order]:
        """The store-day's online orders existing at ``as_of``, with their state then."""
        now = self.now(as_of)
        seen = (o.at(now) for o in self.day(app_id, business_date).orders)
        return [o for o in seen if o is not None]

    def customer_tickets(
        self,
        customer_uid: int,
        start: dt.date,
        end: dt.date | None = None,
        *,
        as_of: dt.datetime | None = None,
        app_id: str | None = None,
    ) -> list[Ticket]:
        """The member's visible tickets of business dates ``start..end`` in every store (or
        only ``app_id``'s), latest state, store by store in row order."""
        now = self.now(as_of)
        apps = [app_id] if app_id is not None else [s.app_id for s in self._stores]
        found = []
        date = start
        while date <= (end or start):
            for app in apps:
                for history in self.day(app, date).tickets:
                    ticket = history.at(now) if history.customer_uid == customer_uid else None
                    if ticket is not None:
                        found.append(ticket)
            date += dt.timedelta(days=1)
        return found

    # -- windows (what the paged queries select) -----------------------------------------

    def dates_of(self, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
        """Business dates whose days overlap the window ``(start, end]``."""
        first = self.rule.business_date(start)
        last = self.rule.business_date(end)
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def ticket_rows(
        self, app_id: str, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
    ) -> list[tuple[int, TicketHistory, Ticket]]:
        """(row, history, body) of visible tickets with ``start < datetime <= end``, by row."""
        rows = []
        for date in self.dates_of(start, end):
            for history in self.day(app_id, date).tickets:
                if start < history.moment.replace(microsecond=0) <= end:
                    body = history.at(as_of)
                    if body is not None:
                        rows.append((history.row, history, body))
        rows.sort(key=lambda item: item[0])
        return rows

    def order_rows(
        self, app_id: str, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
    ) -> list[tuple[int, Order]]:
        """(row, body) of orders existing at ``as_of`` created in ``(start, end]``, by row."""
        rows = []
        for date in self.dates_of(start, end):
            for order in self.day(app_id, date).orders:
                if start < order.created.replace(microsecond=0) <= end:
                    body = order.at(as_of)
                    if body is not None:
                        rows.append((order.row, body))
        rows.sort(key=lambda item: item[0])
        return rows
