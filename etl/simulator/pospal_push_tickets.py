"""Ticket pushes (单据): ``ticket.new`` for every ticket, ``ticket.reverse`` for every later
version of one (反结账, or a late 作废 -- the document files voids under the same command).

Grain: one event per ticket version visible at ``as_of``. ``ticket.new`` is born when the
ticket reached the server (its upload: a day late for an offline till), ``ticket.reverse``
when the version replaced the previous one. A re-checkout keeps ``uid`` and ``sn`` (the
document: "反结账的sn跟原来的sn是一样的"); ``ticketType`` is 1 sale / 2 return on ``ticket.new``
and 3 / 4 on ``ticket.reverse``.

Member tickets (``customerUid`` != 0) carry ``customerBalanceUsedLogs`` (储值卡 payments: a
positive ``usedMoney`` is taken from the balance, a negative one given back) and
``customerPointGaintLogs`` (one point per yuan). A reverse lists the previous settlement, its
reversal (``operateType`` 3 / 4, negated) and, for a re-checkout, the new settlement. The world
keeps no member balances: the ``after*`` figures start from an amount drawn per ticket version,
so they add up within a message, not across messages.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from etl.simulator.pospal_catalog import BALANCE
from etl.simulator.pospal_day import TicketHistory
from etl.simulator.pospal_plan import RETURN
from etl.simulator.pospal_push_message import Event
from etl.simulator.pospal_tickets import Ticket
from etl.simulator.pospal_world import PospalWorld
from etl.simulator.qianhub_common import fmt_time, q2

TICKET_NEW = "ticket.new"
TICKET_REVERSE = "ticket.reverse"
SALE_TYPE, RETURN_TYPE, SALE_REVERSED, RETURN_REVERSED = 1, 2, 3, 4


def ticket_events(
    world: PospalWorld, app_id: str, business_date: dt.date, as_of: dt.datetime
) -> list[Event]:
    """The store-day's ticket pushes that exist at ``as_of``, ticket by ticket."""
    balance_code = world.store(app_id).pay_code(BALANCE)
    events: list[Event] = []
    for history in world.histories(app_id, business_date):
        if history.uploaded > as_of:
            continue
        previous: Ticket | None = None
        for n, (since, ticket) in enumerate(history.versions):
            if since > as_of:
                break
            rng = random.Random(f"{world.seed}:pospal:push:member:{history.uid}:{n}")
            if previous is None:
                body = _head(history, RETURN_TYPE if _returned(history) else SALE_TYPE)
                born = history.uploaded
                cmd = TICKET_NEW
            else:
                body = _head(history, RETURN_REVERSED if _returned(history) else SALE_REVERSED)
                born = since
                cmd = TICKET_REVERSE
            if history.customer_uid:
                body.update(_member_logs(ticket, previous, since, balance_code, rng))
            events.append(Event(born, cmd, body))
            previous = ticket
    return events


def _returned(history: TicketHistory) -> bool:
    return history.kind == RETURN


def _head(history: TicketHistory, ticket_type: int) -> dict[str, object]:
    return {
        "sn": history.sn,
        "uid": history.uid,
        "customerUid": history.customer_uid,
        "ticketType": ticket_type,
    }


def _member_logs(
    ticket: Ticket,
    previous: Ticket | None,
    since: dt.datetime,
    balance_code: str,
    rng: random.Random,
) -> dict[str, object]:
    """(usedMoney, gaintPoint, operateType, time) steps, then the running ``after`` figures."""
    operate = 2 if str(ticket["ticketType"]).upper() == "SELL_RETURN" else 1
    steps: list[tuple[Decimal, Decimal, int, str]] = []
    if previous is not None and not previous["invalid"]:
        used, points = _settlement(previous, balance_code)
        steps.append((used, points, operate, str(previous["datetime"])))
        steps.append((-used, -points, operate + 2, fmt_time(since)))
    if not ticket["invalid"]:
        used, points = _settlement(ticket, balance_code)
        when = str(ticket["datetime"]) if previous is None else fmt_time(since)
        steps.append((used, points, operate, when))
    balance = q2(Decimal(rng.randint(20_000, 500_000)) / 100)
    gained = q2(Decimal(rng.randint(0, 300_000)) / 100)
    balance_logs: list[dict[str, object]] = []
    point_logs: list[dict[str, object]] = []
    for used, points, kind, when in steps:
        if used:
            balance -= used
            log = {"usedMoney": used, "datetime": when, "operateType": kind}
            balance_logs.append({**log, "afterUsedMoney": balance})
        gained += points
        log = {"gaintPoint": points, "datetime": when, "operateType": kind}
        point_logs.append({**log, "afterGaintPoint": gained})
    return {"customerBalanceUsedLogs": balance_logs, "customerPointGaintLogs": point_logs}


def _settlement(ticket: Ticket, balance_code: str) -> tuple[Decimal, Decimal]:
    """(paid from the member balance, points gained) by one version; negative for a return."""
    payments = ticket["payments"]
    assert isinstance(payments, list)
    used = sum(
        (_money(p["amount"]) for p in payments if p["code"] == balance_code), Decimal("0.00")
    )
    points = _money(ticket["totalAmount"])
    if str(ticket["ticketType"]).upper() == "SELL_RETURN":
        used, points = -used, -points
    return q2(used), q2(points)


def _money(value: object) -> Decimal:
    assert isinstance(value, Decimal), value
    return value
