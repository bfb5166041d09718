"""``cashier.finish`` bills: the first checkout and its re-checkouts (反结账), money settled.

Grain: one dict per bill *version*, shaped exactly like the document's ``json`` example. A
re-checkout copies the previous version, adds or removes a dish, and settles again: same
``bill_id`` and ``create_on``, ``undo_index + 1``, later ``cashier_on``, new payments.

Money invariants (all :class:`~decimal.Decimal`, fen precision), per bill version:

* order ``goods_amount`` = sum of its top-level ``real_amount`` (= every node's own amount);
  order ``order_amount`` = ``goods_amount + surcharge + mincharge``;
* bill ``goods_amount``/``surcharge``/``mincharge``/``discount``/``promotion``/``order_amount``
  = sums over its orders; ``amount`` = ``goods_amount + surcharge + mincharge`` = ``order_amount``;
* ``discount`` = sum of ``discounts[].value`` <= 0; ``promotion`` = sum of ``promotions[].value``
  <= 0;
* ``rounding`` (抹零) >= 0 cuts jiao/fen; ``real_amount = amount + discount + promotion -
  rounding``; ``paid = real_amount = sum(payments[].value - payments[].change)``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_FLOOR, Decimal

from etl.simulator.qianhub_catalog import (
    DISCOUNTS,
    PROMO_LUNCH,
    PROMO_MEMBER,
    PROMO_MEMBER_SPECIAL,
    PROMO_QUICKPAY,
    PROMO_SECOND,
    TABLEWARE,
)
from etl.simulator.qianhub_common import dec, fmt_time, q2, wire
from etl.simulator.qianhub_details import DetailBuilder, IdSequence, Node
from etl.simulator.qianhub_payments import PAY_KINDS, PAY_WEIGHTS, payment_lines
from etl.simulator.qianhub_shops import ShopProfile

Bill = dict[str, object]
ZERO = Decimal(0)
# Sequence numbers a re-checkout version starts its new detail ids at (version x 1024).
VERSION_ID_STRIDE = 1024


def new_bill(
    shop: ShopProfile,
    rng: random.Random,
    opened: dt.datetime,
    millis: int,
    cashier_on: dt.datetime,
    order_sns: list[str],
) -> Bill:
    """Version 0 of a bill opened at ``opened`` and paid at ``cashier_on``.

    Several ``order_sns`` mean merged tables (并台): one bill, one order per table.
    """
    ids = IdSequence(opened, millis, shop.worker)
    bill_id = ids()
    lunch = opened.hour < 15
    orders: list[Node] = []
    for order_sn, table in zip(order_sns, rng.sample(shop.tables, len(order_sns)), strict=True):
        persons = rng.randint(6, table.seats) if table.private_room else rng.randint(1, table.seats)
        order_id = ids()
        builder = DetailBuilder(rng, ids, rng.choice(shop.waiters))
        orders.append(
            {
                "order_id": order_id,
                "order_name": table.name,
                "order_sn": order_sn,
                "person_count": persons,
                "table_id": table.table_id,
                **dict.fromkeys(_ORDER_MONEY, ZERO),
                "details": builder.order_details(persons, lunch),
            }
        )
    cashier = rng.choice(shop.cashiers)
    bill: Bill = {
        "brand_id": shop.brand_id,
        "brand_name": shop.brand_name,
        "shop_id": shop.shop_id,
        "shop_name": shop.shop_name,
        "sn": order_sns[0],
        "bill_id": bill_id,
        **dict.fromkeys(_BILL_MONEY, ZERO),
        "cashier_staff_id": cashier[0],
        "cashier_staff_name": cashier[1],
        "undo_index": 0,
        "orders": orders,
        "payments": [],
        "promotions": [],
        "discounts": [],
        "create_on": fmt_time(opened),
        "cashier_on": fmt_time(cashier_on),
    }
    settle(shop, rng, bill, lunch)
    return bill


def recheckout(
    shop: ShopProfile,
    rng: random.Random,
    previous: Bill,
    ids: IdSequence,
    cashier_on: dt.datetime,
) -> Bill:
    """The next version of ``previous``: a dish added or removed, settled and paid again.

    Re-checkouts need a manager's permission in the POS, so the manager is the cashier.
    """
    orders = [_copy_order(o) for o in _nodes(previous["orders"])]
    order = rng.choice(orders)
    details = _nodes(order["details"])
    removable = [d for d in details if _goods_id(d) != TABLEWARE]
    if len(removable) >= 2 and rng.random() < 0.5:
        details.remove(rng.choice(removable))
    else:
        details.append(DetailBuilder(rng, ids, rng.choice(shop.waiters)).extra_dish())
    undo_index = previous["undo_index"]
    assert isinstance(undo_index, int)
    bill = {
        **previous,
        "cashier_staff_id": shop.manager[0],
        "cashier_staff_name": shop.manager[1],
        "undo_index": undo_index + 1,
        "orders": orders,
        "cashier_on": fmt_time(cashier_on),
    }
    created = str(previous["create_on"])
    settle(shop, rng, bill, lunch=int(created[11:13]) < 15)
    return bill


_ORDER_MONEY = (
    "order_amount",
    "goods_amount",
    "surcharge",
    "mincharge",
    "discount",
    "promotion",
    "voucher",
)
_BILL_MONEY = (
    "amount",
    "real_amount",
    "goods_amount",
    "order_amount",
    "paid",
    "surcharge",
    "mincharge",
    "discount",
    "promotion",
    "rounding",
)


def settle(shop: ShopProfile, rng: random.Random, bill: Bill, lunch: bool) -> None:
    """Compute every total, discount, promotion, rounding and payment of ``bill`` in place."""
    orders = _nodes(bill["orders"])
    rooms = {t.table_id for t in shop.tables if t.private_room}
    for order in orders:
        goods = sum((dec(d["real_amount"]) for d in _nodes(order["details"])), ZERO)
        in_room = order["table_id"] in rooms
        surcharge = q2(goods * shop.room_service_rate) if in_room else ZERO
        # 低消差: a private room's minimum spend, charged as the shortfall.
        mincharge = max(ZERO, shop.room_min_spend - goods) if in_room else ZERO
        order.update(dict.fromkeys(_ORDER_MONEY, ZERO))
        order.update(goods_amount=wire(goods), surcharge=wire(surcharge), mincharge=wire(mincharge))
        order["order_amount"] = wire(goods + surcharge + mincharge)
    discounts: list[Node] = []
    if rng.random() < 0.15:
        discount_id, name, rate = rng.choice(DISCOUNTS)
        total = ZERO
        for order in orders:
            cut = -q2(dec(order["goods_amount"]) * (1 - rate))
            order["discount"] = wire(cut)
            total += cut
        discounts.append({"discount_id": discount_id, "discount_name": name, "value": wire(total)})
    kind = rng.choices(PAY_KINDS, PAY_WEIGHTS)[0]
    amount = sum((dec(o["order_amount"]) for o in orders), ZERO)
    pre = amount + sum((dec(o["discount"]) for o in orders), ZERO)
    promotions: list[Node] = []
    for promo, value in _promotion_candidates(rng, orders, kind, lunch):
        if pre + value >= 1:
            pre += value
            promo_id, promo_name, type_id, type_name = promo
            promotions.append(
                {
                    "promotion_id": promo_id,
                    "promotion_name": promo_name,
                    "promotion_type_id": type_id,
                    "promotion_type_name": type_name,
                    "value": wire(value),
                }
            )
    promotion = sum((dec(p["value"]) for p in promotions), ZERO)
    orders[0]["promotion"] = wire(promotion)
    rounding = ZERO
    if shop.rounding != "none" and rng.random() < 0.85:
        unit = Decimal(1) if shop.rounding == "yuan" else Decimal("0.1")
        rounding = pre - (pre / unit).to_integral_value(rounding=ROUND_FLOOR) * unit
    real = pre - rounding
    payments, voucher = payment_lines(rng, kind, real)
    orders[0]["voucher"] = wire(voucher)

    def summed(key: str) -> Decimal:
        return wire(sum((dec(o[key]) for o in orders), ZERO))

    bill.update(
        amount=wire(amount),
        real_amount=wire(real),
        goods_amount=summed("goods_amount"),
        order_amount=summed("order_amount"),
        paid=wire(real),
        surcharge=summed("surcharge"),
        mincharge=summed("mincharge"),
        discount=summed("discount"),
        promotion=wire(promotion),
        rounding=wire(rounding),
        payments=payments,
        promotions=promotions,
        discounts=discounts,
    )


# Tableware and rice are priced per head: no "second one half price" on them.
_NOT_SECOND = frozenset({TABLEWARE, 801})


def _promotion_candidates(
    rng: random.Random, orders: list[Node], kind: str, lunch: bool
) -> list[tuple[tuple[int, str, int, str], Decimal]]:
    goods = sum((dec(o["goods_amount"]) for o in orders), ZERO)
    found: list[tuple[tuple[int, str, int, str], Decimal]] = []
    if rng.random() < 0.12:
        found.append((PROMO_MEMBER, -q2(goods * Decimal("0.05"))))
    if kind in ("tenpay", "alipay") and rng.random() < 0.15:
        # 秒付买单: a third-party payment system's instant discount.
        found.append((PROMO_QUICKPAY, -rng.choice((Decimal(1), Decimal(3), Decimal("8.8")))))
    doubles = [
        d
        for o in orders
        for d in _nodes(o["details"])
        if dec(d["quantity"]) >= 2 and not d["tags"] and _goods_id(d) not in _NOT_SECOND
    ]
    if doubles and rng.random() < 0.15:
        found.append((PROMO_SECOND, -q2(dec(rng.choice(doubles)["current_price"]) / 2)))
    if lunch and rng.random() < 0.1:
        found.append((PROMO_LUNCH, Decimal(-5)))
    if rng.random() < 0.04:
        found.append((PROMO_MEMBER_SPECIAL, -Decimal(rng.choice((5, 10)))))
    return found


def _copy_tree(node: Node) -> Node:
    # Shares the read-only goods dict; copies everything a later version may change.
    return {
        **node,
        "tags": list(_strs(node["tags"])),
        "children": [_copy_tree(c) for c in _nodes(node["children"])],
    }


def _copy_order(order: Node) -> Node:
    return {**order, "details": [_copy_tree(d) for d in _nodes(order["details"])]}


def _nodes(value: object) -> list[Node]:
    assert isinstance(value, list)
    return value


def _strs(value: object) -> list[str]:
    assert isinstance(value, list)
    return value


def _goods_id(detail: Node) -> object:
    goods = detail["goods"]
    assert isinstance(goods, dict)
    return goods["goods_id"]
