"""One shop's business day: bills, re-checkouts, two shift reports and the day-end report.

Everything is drawn from ``random.Random(f"{seed}:{shop_id}:{business_date}")``, so a day is a
pure function of its key and can be generated in any order.

Timeline of a day (shop-local, ``S`` = the business day's start, ``S'`` = the next day's):

* bills open 10:30..23:30 (lunch and dinner peaks) and are paid 20..150 minutes later;
* shift 1 handover at 16:00-16:05, shift 2 (close) at ``S' - 3h30`` (+0..15 min, 02:30 for a
  06:00 start): a bill belongs to the shift its final version was paid in;
* ~6% of bills are re-checked-out 5..60 minutes after the previous version, a few twice; every
  version stays inside its shift, so shift reports never straddle versions;
* day-end at ``S' - 2h`` (+0..10 min, 04:00 for a 06:00 start), over all final versions.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from etl.business_day import BusinessDayRule
from etl.simulator.qianhub_bills import VERSION_ID_STRIDE, Bill, new_bill, recheckout
from etl.simulator.qianhub_common import (
    CASHIER_FINISH,
    DAYEND_STAT,
    HANDOVER_STAT,
    WAIMAI_ORDER,
    fmt_time,
)
from etl.simulator.qianhub_delivery import delivery_day
from etl.simulator.qianhub_details import IdSequence
from etl.simulator.qianhub_shops import ShopProfile, Staff
from etl.simulator.qianhub_stats import goods_tally, stat_json

Record = dict[str, object]
_MINUTE = dt.timedelta(minutes=1)
_RANK = {CASHIER_FINISH: 0, HANDOVER_STAT: 1, DAYEND_STAT: 2, WAIMAI_ORDER: 3}


@dataclass(frozen=True)
class ShopDay:
    """One shop-day. ``timeline`` holds every record with its emission time, ascending."""

    business_date: dt.date
    versions: tuple[Bill, ...]
    finals: tuple[Bill, ...]
    handovers: tuple[Record, ...]
    dayend: Record | None
    timeline: tuple[tuple[dt.datetime, Record], ...]
    deliveries: tuple[Record, ...] = ()  # each delivery order's final json


def empty_day(business_date: dt.date) -> ShopDay:
    return ShopDay(business_date, (), (), (), None, ())


def generate_day(
    shop: ShopProfile,
    seed: int,
    business_date: dt.date,
    rule: BusinessDayRule,
    bills_per_day: tuple[int, int],
    recheckout_rate: float,
    shop_key: str,
) -> ShopDay:
    rng = random.Random(f"{seed}:{shop.shop_id}:{business_date}")
    midnight = dt.datetime.combine(business_date, dt.time())
    day_start, next_start = rule.window(business_date)
    shift_end = midnight + dt.timedelta(hours=16, seconds=rng.randrange(300))
    close = (
        next_start - dt.timedelta(hours=3, minutes=30) + dt.timedelta(seconds=rng.randrange(900))
    )
    dayend_at = next_start - dt.timedelta(hours=2) + dt.timedelta(seconds=rng.randrange(600))
    open_from = max(midnight + dt.timedelta(hours=10, minutes=30), day_start + 30 * _MINUTE)
    open_until = min(midnight + dt.timedelta(hours=23, minutes=30), close - 45 * _MINUTE)
    last_paid = close - 2 * _MINUTE

    openings = sorted(
        _opening(rng, midnight, open_from, open_until) for _ in range(rng.randint(*bills_per_day))
    )
    timed: list[tuple[dt.datetime, Bill]] = []
    finals: list[tuple[dt.datetime, Bill]] = []
    order_no = 0
    last_ms = -1
    for opened in openings:
        # Snowflake time must differ per bill: bump the millisecond if two bills share one.
        millis = rng.randrange(1000)
        ms = int((opened - midnight).total_seconds()) * 1000 + millis
        if ms <= last_ms:
            millis += last_ms + 1 - ms
            ms = last_ms + 1
        last_ms = ms
        tables = 2 if rng.random() < 0.04 else 1
        sns = [f"{business_date:%Y%m%d}{order_no + k + 1:04d}" for k in range(tables)]
        order_no += tables
        paid = opened + dt.timedelta(minutes=rng.randint(20, 150), seconds=rng.randrange(60))
        paid = min(paid, last_paid)
        bill = new_bill(shop, rng, opened, millis, paid, sns)
        timed.append((paid, bill))
        if rng.random() < recheckout_rate:
            limit = (shift_end if paid < shift_end else close) - _MINUTE
            for version in (1, 2):
                room = int((limit - paid).total_seconds())
                if room < 5 * 60:
                    break
                paid += dt.timedelta(seconds=rng.randint(5 * 60, min(60 * 60, room)))
                ids = IdSequence(opened, millis, shop.worker, VERSION_ID_STRIDE * version)
                bill = recheckout(shop, rng, bill, ids, paid)
                timed.append((paid, bill))
                if rng.random() >= 0.2:
                    break
        finals.append((paid, bill))

    first_shift = [b for t, b in finals if t < shift_end]
    second_shift = [b for t, b in finals if t >= shift_end]
    final_bills = [b for _, b in finals]
    tallies = {b["bill_id"]: goods_tally(b) for b in final_bills}

    def stat(boh_type: str, staff: Staff, at: dt.datetime, bills: list[Bill]) -> Record:
        return {
            shop_key: shop.shop_id,
            "staff_id": staff[0],
            "staff_name": staff[1],
            "boh_type": boh_type,
            "json": stat_json(bills, tallies, shop, rng),
            "create_on": fmt_time(at),
        }

    handovers = (
        stat(HANDOVER_STAT, shop.cashiers[0], shift_end, first_shift),
        stat(HANDOVER_STAT, shop.cashiers[1], close, second_shift),
    )
    dayend = stat(DAYEND_STAT, shop.manager, dayend_at, final_bills)
    json = dayend["json"]
    assert isinstance(json, dict)
    dayend["json"] = {"businessDay": business_date.isoformat(), **json}

    timeline = [(t, _envelope(shop_key, shop.shop_id, b)) for t, b in timed]
    timeline += [(shift_end, handovers[0]), (close, handovers[1]), (dayend_at, dayend)]
    delivery_timeline, deliveries = delivery_day(shop, seed, business_date, rule, shop_key)
    timeline += delivery_timeline
    timeline.sort(key=lambda item: (item[0], _RANK[str(item[1]["boh_type"])]))
    timed.sort(key=lambda item: item[0])
    return ShopDay(
        business_date=business_date,
        versions=tuple(b for _, b in timed),
        finals=tuple(final_bills),
        handovers=handovers,
        dayend=dayend,
        timeline=tuple(timeline),
        deliveries=tuple(deliveries),
    )


def _opening(
    rng: random.Random, midnight: dt.datetime, earliest: dt.datetime, latest: dt.datetime
) -> dt.datetime:
    roll = rng.random()
    if roll < 0.4:
        minutes = rng.gauss(12 * 60 + 15, 40)
    elif roll < 0.9:
        minutes = rng.gauss(18 * 60 + 45, 60)
    else:
        minutes = rng.uniform(20 * 60 + 30, 23 * 60 + 30)
    moment = midnight + dt.timedelta(seconds=int(minutes * 60))
    return min(max(moment, earliest), latest)


def _envelope(shop_key: str, shop_id: int, bill: Bill) -> Record:
    # The document's cashier.finish example spells the shop key "shop_10": 10.
    return {
        shop_key: shop_id,
        "staff_id": bill["cashier_staff_id"],
        "staff_name": bill["cashier_staff_name"],
        "boh_type": CASHIER_FINISH,
        "json": bill,
    }
