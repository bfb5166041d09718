"""The simulated QianHub world: shops and everything they record, for any date, in any order.

:class:`QianhubWorld` is deterministic: a shop-day is a pure function of (seed, shop_id,
business_date), generated on first use and kept in a bounded LRU cache. The server asks it for
records; tests ask it for the truth (final bills, day-end reports) to compare loads against.

What the world guarantees (tests may rely on it):

* ids: ``bill_id``, ``order_id``, ``detail_id`` are 19-digit snowflakes, 2**53 < id < 2**63,
  unique across shops and dates; a re-checkout keeps ``bill_id``, ``order_id`` and the ids of
  the details it keeps. ``sn`` (``YYYYMMDD`` + 4 digits) repeats across shops.
* money: the invariants in :mod:`etl.simulator.qianhub_bills` hold for every bill version; the
  stats reconcile with the final versions as in :mod:`etl.simulator.qianhub_stats`.
* time: every record of business day D falls inside ``rule.window(D)``; bills and the 16:00
  handover share the day with the close handover and the day-end report (see
  :mod:`etl.simulator.qianhub_day`). Records come out ascending by time.
* re-checkouts: a later version has ``undo_index + 1`` and a later ``cashier_on`` in the same
  business day; every version is emitted at its own ``cashier_on``.
* the shop at ``variant_shop_index`` writes its records' shop key as ``"shop_<id>": <id>``.
* data exists for business dates 2018-01-01..2069-12-31 (the snowflake range); outside it a
  shop has no records.

Returned dicts are shared with the cache: treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterable

from etl.business_day import BusinessDayRule
from etl.simulator.qianhub_common import BOH_TYPES, FIRST_DATA_DATE, LAST_DATA_DATE
from etl.simulator.qianhub_day import Record, ShopDay, empty_day, generate_day
from etl.simulator.qianhub_shops import ShopProfile, make_shops, shop_row

SHOP_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
_EARLIEST_START = dt.time(4, 0)
_LATEST_START = dt.time(10, 0)


class QianhubWorld:
    """Shops, bills and reports of a seeded QianHub tenant."""

    def __init__(
        self,
        seed: int = 20261101,
        shop_count: int = 4,
        bills_per_day: tuple[int, int] = (40, 90),
        rule: BusinessDayRule = BusinessDayRule(),  # noqa: B008 -- frozen dataclass, immutable
        *,
        variant_shop_index: int | None = -1,
        recheckout_rate: float = 0.06,
        cache_days: int = 512,
        as_of: dt.datetime | None = None,
    ) -> None:
        if not _EARLIEST_START <= rule.start <= _LATEST_START:
            # The day's timeline (lunch, 02:30 close, 04:00 day-end) needs room on both sides.
            raise ValueError(f"business day start must be 04:00..10:00, got {rule.start}")
        low, high = bills_per_day
        if not 0 <= low <= high <= 2000:
            raise ValueError(f"bills_per_day must be 0 <= low <= high <= 2000, got {bills_per_day}")
        if not 0 <= recheckout_rate <= 1:
            raise ValueError(f"recheckout_rate must be within 0..1, got {recheckout_rate}")
        self.seed = seed
        # A fixed "now" for list-shop's latest_business_day makes whole runs reproducible
        # (the demo's content hashes); None follows the real clock.
        self.as_of = as_of
        self.rule = rule
        self.bills_per_day = bills_per_day
        self.recheckout_rate = recheckout_rate
        self._profiles = make_shops(seed, shop_count)
        self._by_id = {p.shop_id: p for p in self._profiles}
        variant = None
        if variant_shop_index is not None:
            variant = self._profiles[variant_shop_index].shop_id  # IndexError if out of range
        self._keys = {
            p.shop_id: f"shop_{p.shop_id}" if p.shop_id == variant else "shop_id"
            for p in self._profiles
        }
        self._cache: OrderedDict[tuple[int, dt.date], ShopDay] = OrderedDict()
        self._cache_days = cache_days
        self._lock = threading.Lock()

    # -- shops ---------------------------------------------------------------------------

    def shop_ids(self) -> list[int]:
        return [p.shop_id for p in self._profiles]

    def has_shop(self, shop_id: int) -> bool:
        return shop_id in self._by_id

    def profile(self, shop_id: int) -> ShopProfile:
        """The shop's fixed facts (tables, staff, house rules); KeyError if unknown."""
        return self._by_id[shop_id]

    def shop_key(self, shop_id: int) -> str:
        """``"shop_id"``, or ``"shop_<id>"`` for the shop using the document's variant."""
        return self._keys[shop_id]

    def shops(self, as_of: dt.datetime | None = None) -> list[dict[str, object]]:
        """``list-shop`` rows. ``latest_business_day`` is the business day before ``as_of``
        (shop-local; default: now in Asia/Shanghai)."""
        now = as_of or self.as_of or dt.datetime.now(SHOP_ZONE).replace(tzinfo=None)
        latest = self.rule.business_date(now) - dt.timedelta(days=1)
        return [shop_row(p, latest) for p in self._profiles]

    # -- records -------------------------------------------------------------------------

    def day(self, shop_id: int, business_date: dt.date) -> ShopDay:
        """Everything shop ``shop_id`` records on ``business_date`` (cached)."""
        profile = self._by_id[shop_id]
        key = (shop_id, business_date)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        if FIRST_DATA_DATE <= business_date <= LAST_DATA_DATE:
            day = generate_day(
                profile,
                self.seed,
                business_date,
                self.rule,
                self.bills_per_day,
                self.recheckout_rate,
                self._keys[shop_id],
            )
        else:
            day = empty_day(business_date)
        with self._lock:
            # Another thread may have generated the same day meanwhile: it is identical.
            day = self._cache.setdefault(key, day)
            while len(self._cache) > self._cache_days:
                self._cache.popitem(last=False)
        return day

    def records(
        self, shop_id: int, boh_types: Iterable[str], begin: dt.datetime, end: dt.datetime
    ) -> list[Record]:
        """Every record of ``boh_types`` whose time (a bill version's ``cashier_on``, a
        report's ``create_on``) is in ``[begin, end)``, ascending by time."""
        wanted = set(boh_types)
        unknown = wanted - BOH_TYPES
        if unknown:
            raise ValueError(f"unknown boh_type(s): {sorted(unknown)}")
        if shop_id not in self._by_id:
            raise KeyError(shop_id)
        if begin >= end:
            return []
        first = max(self.rule.business_date(begin), FIRST_DATA_DATE)
        last = min(self.rule.business_date(end - dt.timedelta(microseconds=1)), LAST_DATA_DATE)
        found: list[Record] = []
        date = first
        while date <= last:
            for moment, record in self.day(shop_id, date).timeline:
                if begin <= moment < end and record["boh_type"] in wanted:
                    found.append(record)
            date += dt.timedelta(days=1)
        return found

    def all_bill_versions(self, shop_id: int, business_date: dt.date) -> list[Record]:
        """Every version of every bill of the day (``json`` bodies), ascending by cashier_on."""
        return list(self.day(shop_id, business_date).versions)

    def final_bills(self, shop_id: int, business_date: dt.date) -> list[Record]:
        """The latest version of each bill of the day, in the order the bills were opened."""
        return list(self.day(shop_id, business_date).finals)

    def handovers(self, shop_id: int, business_date: dt.date) -> list[Record]:
        """The day's two ``handover.stat`` records (full envelopes)."""
        return list(self.day(shop_id, business_date).handovers)

    def delivery_orders(self, shop_id: int, business_date: dt.date) -> list[Record]:
        """Each delivery order of the day in its final state (``json`` bodies), by time."""
        return list(self.day(shop_id, business_date).deliveries)

    def dayend(self, shop_id: int, business_date: dt.date) -> Record:
        """The day's ``dayend.stat`` record (full envelope); KeyError on a day without data."""
        record = self.day(shop_id, business_date).dayend
        if record is None:
            raise KeyError((shop_id, business_date))
        return record
