"""Pushes other than tickets: online orders (网单), members (会员) and stock flows (货流).

Grain, per store and business day, everything that exists at ``as_of``:

* ``productOrder.createProductOrder`` when an order is created (``state`` 0),
  ``productOrder.updateProductOrder`` for each later state, and ``productOrder.completePay``
  when it is paid -- seconds after creation when paid online, shortly before completion when
  paid on delivery (never for a canceled cash order); the body is ``{"orderNo", "state"}`` with
  the state at that moment;
* ``customer.new`` for one to three of the day's buying members, registered minutes before
  their first ticket there, and ``customer.recharge`` for one to three (储值 top-ups). The world
  keeps no registration dates, so a member may be announced again on another day: receivers
  key ``customer.new`` on ``customerUid`` anyway;
* one to three stock flows of two or three ``stockFlow.*`` steps each (the document: "几步合并
  操作，同一个货流单会同时拥有多个消息产生"): steps of one operation are seconds apart.

All draws come from ``random.Random`` seeded by (world seed, store, business date, purpose), so
the pushes are a pure function of the world.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from etl.simulator.pospal_common import big_id
from etl.simulator.pospal_orders import OrderHistory
from etl.simulator.pospal_plan import RETURN
from etl.simulator.pospal_push_message import Event
from etl.simulator.pospal_world import PospalWorld
from etl.simulator.qianhub_common import fmt_time, q2

ORDER_CREATED = "productOrder.createProductOrder"
ORDER_UPDATED = "productOrder.updateProductOrder"
ORDER_PAID = "productOrder.completePay"
CUSTOMER_NEW = "customer.new"
CUSTOMER_RECHARGE = "customer.recharge"
STOCK_FLOW = "stockFlow."
# Operations as the back office performs them: each tuple is one stock flow's steps in order.
STOCK_FLOW_STEPS = (
    ("createStockFlowIn", "editStockFlowIn", "confirmStockFlowIn"),
    ("createStockFlowIn", "confirmStockFlowIn"),
    ("createStockFlowIn", "refuseStockFlowIn"),
    ("createStockFlowTransfer", "confirmStockFlowTransferOut", "confirmStockFlowTransferIn"),
    ("createStockFlowTransfer", "confirmStockFlowTransferOut", "refuseStockFlowTransferIn"),
    ("createStockFlowTransfer", "refuseStockFlowTransferOut"),
)
# 储值 top-ups the stores offer: (rechargeMoney, giftMoney).
_RECHARGES = ((100, 0), (200, 10), (300, 20), (500, 50), (1000, 150))


def order_events(
    world: PospalWorld, app_id: str, business_date: dt.date, as_of: dt.datetime
) -> list[Event]:
    events: list[Event] = []
    for order in world.order_histories(app_id, business_date):
        for n, (moment, state) in enumerate(order.events):
            if moment > as_of:
                break
            cmd = ORDER_CREATED if n == 0 else ORDER_UPDATED
            events.append(Event(moment, cmd, {"orderNo": order.order_no, "state": state}))
        paid = _paid_at(order, random.Random(f"{world.seed}:pospal:push:pay:{order.order_no}"))
        if paid is not None and paid <= as_of:
            body: dict[str, object] = {"orderNo": order.order_no, "state": order.state_at(paid)}
            events.append(Event(paid, ORDER_PAID, body))
    return events


def _paid_at(order: OrderHistory, rng: random.Random) -> dt.datetime | None:
    if order.body.get("payOnline") == 1:
        return order.created + dt.timedelta(seconds=rng.randint(2, 45))
    completed = order.completed
    if completed is None:
        return None  # canceled before anyone paid
    return completed - dt.timedelta(seconds=rng.randint(1, 30))


def member_events(
    world: PospalWorld, app_id: str, business_date: dt.date, as_of: dt.datetime
) -> list[Event]:
    store = world.store(app_id)
    first_ticket: dict[int, dt.datetime] = {}
    for history in world.histories(app_id, business_date):
        if history.customer_uid and history.kind != RETURN:
            seen = first_ticket.get(history.customer_uid, history.moment)
            first_ticket[history.customer_uid] = min(seen, history.moment)
    buyers = sorted(first_ticket)
    rng = random.Random(f"{world.seed}:pospal:push:{store.index}:{business_date}:members")
    members = {m.uid: m for m in world.members()}
    events: list[Event] = []
    for uid in rng.sample(buyers, min(len(buyers), rng.randint(1, 3))):
        member = members[uid]
        born = first_ticket[uid] - dt.timedelta(seconds=rng.randint(600, 1800))
        body: dict[str, object] = {
            "number": member.number,
            "customerUid": uid,
            "phone": member.tel,
            "name": member.name,
        }
        events.append(Event(born, CUSTOMER_NEW, body))
    for uid in rng.sample(buyers, min(len(buyers), rng.randint(1, 3))):
        born = first_ticket[uid] - dt.timedelta(seconds=rng.randint(30, 590))
        money, gift = rng.choice(_RECHARGES)
        body = {
            "customerUid": uid,
            "datetime": fmt_time(born),
            "rechargeStoreAccount": f"yinbao{store.index + 1:02d}",
            "rechargeStoreAppId": store.app_id,
            "giftPoint": q2(Decimal(money // 10 if rng.random() < 0.3 else 0)),
            "giftMoney": q2(Decimal(gift)),
            "rechargeMoney": q2(Decimal(money)),
        }
        events.append(Event(born.replace(microsecond=0), CUSTOMER_RECHARGE, body))
    return [e for e in events if e.born <= as_of]


def stock_flows(
    world: PospalWorld, app_id: str, business_date: dt.date, as_of: dt.datetime
) -> list[tuple[Event, ...]]:
    """The day's stock flows, each its steps in the order they happened."""
    store = world.store(app_id)
    start, _ = world.rule.window(business_date)
    rng = random.Random(f"{world.seed}:pospal:push:{store.index}:{business_date}:stock")
    flows: list[tuple[Event, ...]] = []
    for _ in range(rng.randint(1, 3)):
        steps = rng.choice(STOCK_FLOW_STEPS)
        body: dict[str, object] = {"stockFlowId": big_id(rng)}
        moment = start + store.open_after + dt.timedelta(seconds=rng.randint(0, 10 * 3600))
        events = []
        for step in steps:
            moment += dt.timedelta(milliseconds=rng.randint(300, 4000))
            events.append(Event(moment, STOCK_FLOW + step, body))
        visible = tuple(e for e in events if e.born <= as_of)
        if visible:
            flows.append(visible)
    return flows
