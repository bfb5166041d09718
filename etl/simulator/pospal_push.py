"""The Pospal push service (开放通知服务), simulated: what a store-day pushes, and in what order.

:func:`world_pushes` derives every message of one store and business day from the world, as
the vendor would produce them up to ``as_of`` (:mod:`.pospal_push_tickets`: ``ticket.new`` /
``ticket.reverse``; :mod:`.pospal_push_events`: ``productOrder.*``, ``customer.new``,
``customer.recharge``, ``stockFlow.*``). :class:`PushSender` (:mod:`.pospal_push_sender`)
signs and POSTs them with the vendor's retry schedule and the faults asked for;
:mod:`.pospal_push_message` holds the wire format and the signature.

Send order: a message is sent 60..400 ms after it was born, so messages born close together may
arrive in either order. The steps of one stock flow are produced together and sent in a
shuffled order after the last step (the document: "消息到达消费程序，并不一定有序"), so a
receiver sees e.g. ``confirmStockFlowIn`` before ``createStockFlowIn`` of the same
``stockFlowId``. Everything is a pure function of (world seed, appId, business date, as_of).
"""

from __future__ import annotations

import datetime as dt
import random

from etl.simulator.pospal_push_events import member_events, order_events, stock_flows
from etl.simulator.pospal_push_message import Event, Push, body_text, sign, unix_ms
from etl.simulator.pospal_push_sender import RETRY_SCHEDULE, PushDelivery, PushFaults, PushSender
from etl.simulator.pospal_push_tickets import ticket_events
from etl.simulator.pospal_world import PospalWorld

__all__ = [
    "RETRY_SCHEDULE",
    "Push",
    "PushDelivery",
    "PushFaults",
    "PushSender",
    "sign",
    "world_pushes",
]

_LAG_MS = (60, 400)  # the document's examples were sent 141..256 ms after they were born
_FLOW_SPACING_MS = 120


def world_pushes(
    world: PospalWorld, app_id: str, business_date: dt.date, as_of: dt.datetime | None = None
) -> list[Push]:
    """Every push of the store-day that exists at ``as_of`` (default: the world's clock), in
    the order the vendor sends them."""
    now = world.now(as_of)
    events: list[Event] = [
        *ticket_events(world, app_id, business_date, now),
        *order_events(world, app_id, business_date, now),
        *member_events(world, app_id, business_date, now),
    ]
    pushes = []
    for event in events:
        born, text = unix_ms(event.born), body_text(event.body)
        # Seeded per message, not per day: what exists earlier is sent the same way later.
        lag = random.Random(f"{world.seed}:pospal:push:{app_id}:{event.cmd}:{born}:{text}")
        pushes.append(Push(app_id, event.cmd, born, born + lag.randint(*_LAG_MS), text))
    for flow in stock_flows(world, app_id, business_date, now):
        last = unix_ms(flow[-1].born)
        text = body_text(flow[0].body)
        shuffle = random.Random(f"{world.seed}:pospal:push:{app_id}:{text}:{len(flow)}")
        for position, event in enumerate(shuffle.sample(flow, len(flow))):
            sent = last + _LAG_MS[0] + position * _FLOW_SPACING_MS + shuffle.randrange(100)
            pushes.append(Push(app_id, event.cmd, unix_ms(event.born), sent, text))
    return sorted(pushes, key=lambda p: (p.sent_ms, p.born_ms, p.cmd, p.body))
