"""Online orders (网单): what the order document's ``queryOrderByNo`` shows, over time.

Grain: one :class:`OrderHistory` per order: a fixed body (items, customer, amounts, times) and
a timeline of ``state`` changes. The states are the document's: 0 created, 1 synced to the
till, 5 accepted by the merchant, 8 waiting for the kitchen printer / dispatch, 2 shipped,
4 completed, 3 canceled. A delivery order walks 0 → 1 → 5 → 8 → 2 → 4; a pick-up or dine-in
order skips 2; about one in eight is canceled (3) on the way. A completed order becomes a sale
ticket at its completion time (``queryTicketByOrderNo``).

Field names are the real camelCase ones (the document is a lower-cased copy): ``orderNo``,
``orderDateTime``, ``eshopSellPrice``, ``productQuantity`` ... ``isCustomerDiscount`` is a JSON
boolean on orders (0/1 on tickets). ``totalAmount`` = sum of q2(``eshopSellPrice`` x
``productQuantity``) + ``shippingFee``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from etl.simulator.pospal_catalog import ALIPAY, BALANCE, CASH_CODE, ORDER_REMARKS, WECHAT, WEIGHED
from etl.simulator.pospal_stores import Member, Product, StoreProfile
from etl.simulator.pospal_tickets import HUNDRED, Line
from etl.simulator.qianhub_common import fmt_time, q2, wire

Order = dict[str, object]
CREATED, SYNCED, SHIPPED, CANCELED, COMPLETED, ACCEPTED, DISPATCHING = 0, 1, 2, 3, 4, 5, 8
_DELIVERY = (0, 4)  # store delivery, platform delivery: these get shipped (2)
_STEP_SECONDS = {
    SYNCED: (5, 60),
    ACCEPTED: (60, 240),
    DISPATCHING: (60, 360),
    SHIPPED: (600, 1800),
    COMPLETED: (600, 3600),
}


@dataclass(frozen=True)
class OrderHistory:
    """One order: ``row`` orders the pages; ``completed`` is when its ticket appears."""

    order_no: str
    order_id: int
    row: int
    created: dt.datetime
    events: tuple[tuple[dt.datetime, int], ...]
    body: Order
    lines: tuple[Line, ...]
    member: Member | None
    pay_code: str

    @property
    def completed(self) -> dt.datetime | None:
        moment, state = self.events[-1]
        return moment if state == COMPLETED else None

    def state_at(self, as_of: dt.datetime) -> int | None:
        """The state at ``as_of``; None before the order exists."""
        state = None
        for moment, value in self.events:
            if moment > as_of:
                break
            state = value
        return state

    def at(self, as_of: dt.datetime) -> Order | None:
        state = self.state_at(as_of)
        if state is None:
            return None
        return {**self.body, "state": state}


def new_order(
    store: StoreProfile,
    rng: random.Random,
    created: dt.datetime,
    order_no: str,
    order_id: int,
    row: int,
    member: Member | None,
) -> OrderHistory:
    delivery = rng.choices((0, 1, 2, 3, 4), weights=(40, 25, 15, 5, 15))[0]
    products = [p for p in store.products if p.goods.kind != WEIGHED]
    lines: list[Line] = []
    items: list[dict[str, object]] = []
    for product in rng.sample(products, rng.randint(1, min(4, len(products)))):
        price = product.sell if rng.random() < 0.7 else max(product.sell - 1, product.goods.buy)
        amount = Decimal(rng.choices((1, 2, 3), weights=(75, 20, 5))[0])
        items.append(_item(product, price, amount, rng))
        # The ticket of a completed order sells at the web-shop price.
        online = replace(product, sell=price, member=min(product.member, price))
        lines.append(Line(online, amount, HUNDRED, HUNDRED, False))
    pay_method, pay_code = _pay(rng, store, member)
    shipping = Decimal(rng.choice(("0", "3", "5", "6.5"))) if delivery in _DELIVERY else Decimal(0)
    goods = sum((q2(line.product.sell * line.quantity) for line in lines), Decimal(0))
    name = member.name if member else rng.choice(("张先生", "李女士", "王小姐", "陈先生"))
    tel = member.tel if member else f"1{rng.choice((3, 5, 8))}{rng.randrange(10**8, 10**9)}"
    body: Order = {
        "id": order_id,
        "orderNo": order_no,
        "orderDateTime": fmt_time(created),
        "payMethod": pay_method,
        "payOnline": 1 if pay_method not in ("cash", "customerBalance") else 0,
        "customerNumber": member.number if member else "",
        "shippingFee": wire(shipping),
        "orderRemark": rng.choice(("", "", *ORDER_REMARKS)),
        "contactAddress": f"{rng.choice(('福田区', '南山区'))}{rng.randint(1, 300)}号"
        if delivery in _DELIVERY
        else "",
        "contactName": name,
        "contactTel": tel,
        "totalAmount": wire(goods + shipping),
        "daySeq": str(rng.randint(1, 199)),
        "deliveryType": delivery,
        "orderSource": rng.choice(("openapi", "")),
        "items": items,
    }
    if delivery == 1:
        body["dinnersNumber"] = rng.randint(1, 4)
        body["restaurantAreaName"] = "大厅"
        body["restaurantTableName"] = f"A{rng.randint(1, 20):02d}"
    if delivery == 3:
        reserved = created + dt.timedelta(minutes=rng.randint(60, 180))
        body["reservationTime"] = fmt_time(reserved)
    return OrderHistory(
        order_no=order_no,
        order_id=order_id,
        row=row,
        created=created,
        events=_timeline(rng, created, delivery),
        body=body,
        lines=tuple(lines),
        member=member,
        pay_code=pay_code,
    )


def _timeline(
    rng: random.Random, created: dt.datetime, delivery: int
) -> tuple[tuple[dt.datetime, int], ...]:
    steps = [SYNCED, ACCEPTED, DISPATCHING]
    if delivery in _DELIVERY:
        steps.append(SHIPPED)
    steps.append(COMPLETED)
    cancel_after = rng.randrange(len(steps)) if rng.random() < 0.12 else None
    events = [(created, CREATED)]
    moment = created
    for position, state in enumerate(steps):
        if position == cancel_after:
            moment += dt.timedelta(seconds=rng.randint(120, 1800))
            events.append((moment, CANCELED))
            break
        low, high = _STEP_SECONDS[state]
        moment += dt.timedelta(seconds=rng.randint(low, high))
        events.append((moment, state))
    return tuple(events)


def _pay(rng: random.Random, store: StoreProfile, member: Member | None) -> tuple[str, str]:
    """(``payMethod`` as the order shows it, the store code its ticket is paid with)."""
    choices = ["wxpay", "wxpay", "alipay", "cash", "custom"]
    if member is not None:
        choices.append("customerBalance")
    method = rng.choice(choices)
    if method == "wxpay":
        return method, store.pay_code(WECHAT)
    if method == "alipay":
        return method, store.pay_code(ALIPAY)
    if method == "customerBalance":
        return method, store.pay_code(BALANCE)
    if method == "cash":
        return method, CASH_CODE
    code = rng.choice([c for c, _ in store.pay_methods if c != CASH_CODE])
    return code, code


def _item(
    product: Product, price: Decimal, amount: Decimal, rng: random.Random
) -> dict[str, object]:
    return {
        "productUid": product.uid,
        "productName": product.goods.name,
        "productBarcode": product.goods.barcode,
        "eshopSellPrice": wire(price),
        "productQuantity": wire(amount),
        "productBuyPrice": wire(product.goods.buy),
        "productSellPrice": wire(product.sell),
        "isCustomerDiscount": product.member < product.sell,
        "customerDiscount": 100,
        "customerPrice": wire(product.member),
        "comment": rng.choice(("", "", "", "少冰", "不要吸管")),
    }
