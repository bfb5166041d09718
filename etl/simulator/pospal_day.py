"""One store's business day, second pass: returns built, every ticket's history laid out.

A :class:`TicketHistory` is what the vendor's database holds for one ticket over time: when it
was uploaded (its *row* is fixed then) and each version from the moment it became current.
:meth:`TicketHistory.at` answers "what does the API show at ``as_of``" -- nothing before the
upload, then the latest version not after ``as_of``. Re-checkouts and late voids change a
ticket *in place*: same ``uid``, ``sn``, ``datetime`` and row.

Returns are drawn from ``random.Random(f"{seed}:pospal:{store}:{business_date}:returns")``:
each refunds a sale of the same day at least ten minutes older, or a sale of the day before,
from the two disjoint pools of :class:`~etl.simulator.pospal_plan.DayPlan`, so no sale is
refunded twice. When neither pool has a sale left the slot becomes an ordinary sale, so the
day keeps exactly its planned number of tickets.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

from etl.simulator.pospal_common import row_id
from etl.simulator.pospal_orders import OrderHistory
from etl.simulator.pospal_plan import RETURN, SALE, DayPlan, Slot, walk_in
from etl.simulator.pospal_stores import StoreProfile
from etl.simulator.pospal_tickets import Ticket, TicketSpec, recheckout, render, return_of

_TEN_MINUTES = dt.timedelta(minutes=10)
_LATE_UPLOAD = dt.time(10, 0)


@dataclass(frozen=True)
class TicketHistory:
    """One ticket over time. ``versions`` are (current from, body), ascending, the first at
    ``uploaded``. ``late`` is 0, or how many days after its business day it was uploaded."""

    uid: int
    sn: str
    kind: str  # "sale", "return" or "order" (the sale ticket of a completed online order)
    moment: dt.datetime
    uploaded: dt.datetime
    row: int
    late: int
    versions: tuple[tuple[dt.datetime, Ticket], ...]
    customer_uid: int
    sell_ticket_uid: int | None = None
    order_no: str | None = None

    def at(self, as_of: dt.datetime) -> Ticket | None:
        if as_of < self.uploaded:
            return None
        current = self.versions[0][1]
        for since, body in self.versions:
            if since > as_of:
                break
            current = body
        return current

    @property
    def final(self) -> Ticket:
        return self.versions[-1][1]


@dataclass(frozen=True)
class StoreDay:
    """Tickets and orders of one store and business day, each in row (upload) order."""

    business_date: dt.date
    tickets: tuple[TicketHistory, ...]
    orders: tuple[OrderHistory, ...]
    by_sn: dict[str, TicketHistory] = field(repr=False, compare=False)
    by_uid: dict[int, TicketHistory] = field(repr=False, compare=False)


def build_day(plan: DayPlan, previous: DayPlan | None, seed: int, store: StoreProfile) -> StoreDay:
    rng = random.Random(f"{seed}:pospal:{store.index}:{plan.business_date}:returns")
    today = list(plan.refundable_today)
    tomorrow = list(previous.refundable_tomorrow) if previous else []
    histories = []
    for slot in plan.slots:
        if slot.kind == RETURN:
            histories.append(_refund(slot, store, today, tomorrow, rng, seed))
        else:
            histories.append(_history(slot, plan.business_date, seed))
    histories.sort(key=lambda h: h.row)
    orders = tuple(sorted(plan.orders, key=lambda o: o.row))
    return StoreDay(
        business_date=plan.business_date,
        tickets=tuple(histories),
        orders=orders,
        by_sn={h.sn: h for h in histories},
        by_uid={h.uid: h for h in histories},
    )


def _history(slot: Slot, business_date: dt.date, seed: int) -> TicketHistory:
    spec = slot.spec
    assert spec is not None
    if slot.late:
        uploaded = dt.datetime.combine(business_date + dt.timedelta(days=slot.late), _LATE_UPLOAD)
        uploaded += dt.timedelta(seconds=slot.upload_offset)
    else:
        uploaded = slot.moment
    versions = [(uploaded, render(spec))]
    rng = random.Random(f"{seed}:pospal:changes:{slot.uid}")
    for seconds, change in slot.changes:
        spec = recheckout(spec, rng) if change == "recheckout" else replace(spec, invalid=True)
        versions.append((uploaded + dt.timedelta(seconds=seconds), render(spec)))
    return TicketHistory(
        uid=slot.uid,
        sn=slot.sn,
        kind=slot.kind,
        moment=slot.moment,
        uploaded=uploaded,
        row=row_id(uploaded, slot.late > 0, spec.store.index),
        late=slot.late,
        versions=tuple(versions),
        customer_uid=spec.customer_uid,
        order_no=slot.order.order_no if slot.order else None,
    )


def _refund(
    slot: Slot,
    store: StoreProfile,
    today: list[TicketSpec],
    tomorrow: list[TicketSpec],
    rng: random.Random,
    seed: int,
) -> TicketHistory:
    whole = slot.moment.replace(microsecond=0)
    earlier = [s for s in today if s.moment <= whole - _TEN_MINUTES]
    pool = earlier + tomorrow
    if not pool:
        spec = walk_in(store, rng, None, slot.uid, slot.sn, whole)
        return _history(replace(slot, kind=SALE, spec=spec), whole.date(), seed)
    sale = rng.choice(pool)
    source = today if any(s is sale for s in today) else tomorrow
    source.remove(sale)
    spec = return_of(sale, rng, slot.uid, slot.sn, whole)
    return TicketHistory(
        uid=slot.uid,
        sn=slot.sn,
        kind=RETURN,
        moment=slot.moment,
        uploaded=slot.moment,
        row=row_id(slot.moment, False, spec.store.index),
        late=0,
        versions=((slot.moment, render(spec)),),
        customer_uid=spec.customer_uid,
        sell_ticket_uid=sale.uid,
    )
