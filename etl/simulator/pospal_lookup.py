"""Single-record look-ups of the simulated Pospal API, answered from the world.

No index spans days: every key carries its own time. A ticket ``sn`` starts with
``yyyyMMddHHmmss``, a ticket ``uid`` is a snowflake of its time and store, an ``orderNo``
starts with its creation time; the business day follows, and only that day (and, for refunds,
the next) is generated. A key of another store, or one not visible at ``as_of``, finds nothing.
"""

from __future__ import annotations

import datetime as dt

from etl.simulator.pospal_common import uid_parts
from etl.simulator.pospal_day import TicketHistory
from etl.simulator.pospal_orders import Order
from etl.simulator.pospal_tickets import Ticket
from etl.simulator.pospal_world import PospalWorld
from etl.simulator.qianhub_common import FIRST_DATA_DATE, LAST_DATA_DATE

_ONE_DAY = dt.timedelta(days=1)


def _date_of(world: PospalWorld, text: str) -> dt.date | None:
    if len(text) < 14 or not text.isascii() or not text.isdigit():
        return None
    try:
        moment = dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S")  # noqa: DTZ007 -- shop-local
    except ValueError:
        return None
    date = world.rule.business_date(moment)
    return date if FIRST_DATA_DATE <= date <= LAST_DATA_DATE else None


def history_by_sn(world: PospalWorld, app_id: str, sn: str) -> TicketHistory | None:
    date = _date_of(world, sn)
    return None if date is None else world.day(app_id, date).by_sn.get(sn)


def history_by_uid(world: PospalWorld, app_id: str, uid: int) -> TicketHistory | None:
    if not 0 < uid < 1 << 63:
        return None
    moment, worker = uid_parts(uid)
    if worker != world.store(app_id).index:
        return None
    date = world.rule.business_date(moment)
    if not FIRST_DATA_DATE <= date <= LAST_DATA_DATE:
        return None
    return world.day(app_id, date).by_uid.get(uid)


def visible(history: TicketHistory | None, as_of: dt.datetime) -> Ticket | None:
    return None if history is None else history.at(as_of)


def refund_of(
    world: PospalWorld, app_id: str, sale: TicketHistory | None, as_of: dt.datetime
) -> Ticket | None:
    """The return ticket refunding ``sale`` (same or next business day), if visible."""
    if sale is None or sale.at(as_of) is None:
        return None
    date = world.rule.business_date(sale.moment)
    for day in (date, date + _ONE_DAY):
        for history in world.day(app_id, day).tickets:
            if history.sell_ticket_uid == sale.uid:
                return history.at(as_of)
    return None


def sale_of(
    world: PospalWorld, app_id: str, refund: TicketHistory | None, as_of: dt.datetime
) -> Ticket | None:
    """The sale a visible return ticket refunds."""
    if refund is None or refund.sell_ticket_uid is None or refund.at(as_of) is None:
        return None
    return visible(history_by_uid(world, app_id, refund.sell_ticket_uid), as_of)


def ticket_by_order_no(
    world: PospalWorld, app_id: str, order_no: str, as_of: dt.datetime
) -> Ticket | None:
    """The sale ticket a completed online order became, once it exists."""
    date = _date_of(world, order_no)
    if date is None:
        return None
    for history in world.day(app_id, date).tickets:
        if history.order_no == order_no:
            return history.at(as_of)
    return None


def order_by_no(world: PospalWorld, app_id: str, order_no: str, as_of: dt.datetime) -> Order | None:
    date = _date_of(world, order_no)
    if date is None:
        return None
    for order in world.day(app_id, date).orders:
        if order.order_no == order_no:
            return order.at(as_of)
    return None
