"""One store's business day, first pass: when every ticket happens and what every sale holds.

Everything is drawn from ``random.Random(f"{seed}:pospal:{store}:{business_date}")``, so a plan
is a pure function of its key. Returns are *not* built here (see :mod:`.pospal_day`): a return
may refund a sale of the day before, and building it from that day's plan keeps every day
generatable on its own, in any order, without recursion.

Timeline (``S`` = the business day's start by the rule, 06:00 by default):

* the store trades from ``S + open_after`` to ``S + close_after`` (23:00, or 01:30 the next
  calendar day for a late-night store) with morning, lunch and evening peaks;
* online orders are created until three hours before closing; a completed order becomes a
  sale ticket at its completion time;
* exactly ``n`` tickets (``n`` drawn from ``tickets_per_day``) carry a ``datetime`` in the day,
  orders' tickets and returns included, with distinct milliseconds (their uids are snowflakes).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from etl.business_day import BusinessDayRule
from etl.simulator.pospal_catalog import ALIPAY, TICKET_REMARKS, WECHAT
from etl.simulator.pospal_common import epoch_ms, row_id
from etl.simulator.pospal_orders import OrderHistory, new_order
from etl.simulator.pospal_stores import Member, StoreProfile
from etl.simulator.pospal_tickets import (
    HUNDRED,
    SELL_SPELLINGS,
    TicketSpec,
    new_lines,
    pay_codes,
    ticket_discount,
)
from etl.simulator.qianhub_common import ID_EPOCH, snowflake

SALE, RETURN, ORDER = "sale", "return", "order"


@dataclass(frozen=True)
class Rates:
    """How often the awkward things happen (probabilities per ticket)."""

    member: float = 0.4
    late: float = 0.04
    recheckout: float = 0.05
    void: float = 0.03
    refund: float = 0.03


@dataclass(frozen=True)
class Slot:
    """One ticket of the day: its time (to the millisecond), ids and kind.

    ``spec`` is the first version of a sale (None for a return: built in the second pass).
    ``late`` > 0: uploaded by an offline till ``late`` days later, ``upload_offset`` seconds
    after 10:00. ``changes`` are later versions: (seconds after upload, "recheckout" | "void").
    """

    moment: dt.datetime
    uid: int
    sn: str
    kind: str
    spec: TicketSpec | None = None
    order: OrderHistory | None = None
    late: int = 0
    upload_offset: int = 0
    changes: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class DayPlan:
    business_date: dt.date
    slots: tuple[Slot, ...]
    orders: tuple[OrderHistory, ...]
    # Sales that may be refunded the same day / the next day: disjoint, so no sale is
    # refunded twice. Ordered by time.
    refundable_today: tuple[TicketSpec, ...]
    refundable_tomorrow: tuple[TicketSpec, ...]


def plan_day(
    store: StoreProfile,
    members: list[Member],
    seed: int,
    business_date: dt.date,
    rule: BusinessDayRule,
    tickets_per_day: tuple[int, int],
    rates: Rates,
) -> DayPlan:
    rng = random.Random(f"{seed}:pospal:{store.index}:{business_date}")
    start, _ = rule.window(business_date)
    opens, closes = start + store.open_after, start + store.close_after
    total = rng.randint(*tickets_per_day)
    weights = [m.weight for m in members]

    def member() -> Member | None:
        return rng.choices(members, weights)[0] if rng.random() < rates.member else None

    orders = []
    last_order = closes - dt.timedelta(hours=3)
    created_times = sorted(
        _at_ms(opens + (last_order - opens) * rng.random())
        for _ in range(rng.randint(0, min(6, total // 10)))
    )
    for k, when in enumerate(created_times):
        created = when + dt.timedelta(milliseconds=k)  # distinct: distinct rows
        order_no = f"{created:%Y%m%d%H%M%S}{store.index % 100:02d}{k + 1:04d}"
        order_id = (int((created - ID_EPOCH).total_seconds()) * 64 + k) * 1024 + store.index
        row = row_id(created, False, store.index)
        orders.append(new_order(store, rng, created, order_no, order_id, row, member()))
    completed = [o for o in orders if o.completed is not None]

    timed: list[tuple[dt.datetime, OrderHistory | None]] = [
        (_at_ms(order.completed), order) for order in completed if order.completed is not None
    ]
    timed += [(_moment(rng, start, opens, closes), None) for _ in range(total - len(timed))]
    timed.sort(key=lambda item: item[0])

    slots: list[Slot] = []
    today: list[TicketSpec] = []
    tomorrow: list[TicketSpec] = []
    last_ms = -1
    late_count = [0, 0, 0]
    for counter, (when, order) in enumerate(timed, start=1):
        ms = max(epoch_ms(when), last_ms + 1)  # distinct milliseconds: distinct uids
        last_ms = ms
        moment = ID_EPOCH + dt.timedelta(milliseconds=ms)
        whole = moment.replace(microsecond=0)
        uid = snowflake(whole, moment.microsecond // 1000, store.index, 0)
        sn = f"{whole:%Y%m%d%H%M%S}{moment.microsecond // 1000:03d}{counter:04d}"
        if order is not None:
            spec = _order_spec(store, rng, order, uid, sn, whole)
            slots.append(Slot(moment, uid, sn, ORDER, spec, order))
            continue
        if counter > 1 and rng.random() < rates.refund:
            slots.append(Slot(moment, uid, sn, RETURN))
            continue
        spec = walk_in(store, rng, member(), uid, sn, whole)
        late = 0
        changes: tuple[tuple[int, str], ...] = ()
        roll = rng.random()
        if roll < rates.late:
            late = 1 if rng.random() < 0.8 else 2
            late_count[late] += 1
        elif roll < rates.late + rates.recheckout:
            first = rng.randint(600, 20 * 3600)
            changes = ((first, "recheckout"),)
            if rng.random() < 0.2:
                changes += ((first + rng.randint(600, 3 * 3600), "recheckout"),)
        elif roll < rates.late + rates.recheckout + rates.void:
            if rng.random() < 0.5:
                spec = replace(spec, invalid=True)
            else:
                changes = ((rng.randint(300, 3 * 3600), "void"),)
        else:
            (today if counter % 2 == 0 else tomorrow).append(spec)
        # Late uploads of day D arrive on D+late from 10:00 (D-1's two-day-late ones from
        # 10:30), ten seconds apart: never at the same millisecond as another upload.
        offset = (late - 1) * 1800 + late_count[late] * 10 if late else 0
        slots.append(Slot(moment, uid, sn, SALE, spec, None, late, offset, changes))
    return DayPlan(business_date, tuple(slots), tuple(orders), tuple(today), tuple(tomorrow))


def walk_in(
    store: StoreProfile,
    rng: random.Random,
    member: Member | None,
    uid: int,
    sn: str,
    moment: dt.datetime,
) -> TicketSpec:
    """The first version of a sale rung up at the till."""
    codes = pay_codes(rng, store, member is not None)
    return TicketSpec(
        store=store,
        uid=uid,
        sn=sn,
        moment=moment,
        cashier=rng.choice(store.cashiers),
        customer_uid=member.uid if member else 0,
        lines=new_lines(rng, store, member is not None),
        discount=ticket_discount(rng),
        type_text=rng.choice(SELL_SPELLINGS),
        pay_codes=codes,
        split_seed=rng.randrange(1 << 30),
        rounding=store.rounding,
        remark="" if rng.random() < 0.9 else rng.choice(TICKET_REMARKS),
        external_order_no=_trade_no(rng, store, codes, moment),
    )


def _order_spec(
    store: StoreProfile,
    rng: random.Random,
    order: OrderHistory,
    uid: int,
    sn: str,
    moment: dt.datetime,
) -> TicketSpec:
    codes = (order.pay_code,)
    return TicketSpec(
        store=store,
        uid=uid,
        sn=sn,
        moment=moment,
        cashier=store.cashiers[0],
        customer_uid=order.member.uid if order.member else 0,
        lines=order.lines,
        discount=HUNDRED,  # web-shop prices are final
        type_text=rng.choice(SELL_SPELLINGS),
        pay_codes=codes,
        split_seed=0,
        remark=f"网单 {order.order_no}",
        external_order_no=_trade_no(rng, store, codes, moment),
    )


def _trade_no(
    rng: random.Random, store: StoreProfile, codes: tuple[str, ...], moment: dt.datetime
) -> str:
    """第三方平台支付单号 for WeChat Pay / Alipay tickets (28 digits), else empty."""
    if store.pay_code(WECHAT) in codes:
        return f"4200{rng.randrange(10**23, 10**24)}"
    if store.pay_code(ALIPAY) in codes:
        return f"{moment:%Y%m%d}2200{rng.randrange(10**15, 10**16)}"
    return ""


def _at_ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _moment(
    rng: random.Random, start: dt.datetime, opens: dt.datetime, closes: dt.datetime
) -> dt.datetime:
    """A till time with morning (08:30), lunch (12:30) and evening (19:00) peaks."""
    while True:
        roll = rng.random()
        if roll < 0.2:
            hours = rng.gauss(2.5, 0.8)
        elif roll < 0.5:
            hours = rng.gauss(6.5, 1.0)
        elif roll < 0.8:
            hours = rng.gauss(13.0, 1.5)
        else:
            hours = rng.uniform(0, 20)
        moment = start + dt.timedelta(seconds=int(hours * 3600), milliseconds=rng.randrange(1000))
        if opens <= moment <= closes:
            return moment
