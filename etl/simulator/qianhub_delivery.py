"""A shop's delivery orders (外卖, ``waimai.order``) for one business day.

Grain: one order per Meituan (``MT``) or Ele.me (``EL``) customer order, emitted as one record
per state change: ``OrderSubmitted`` when placed, then its final state -- ``Completed`` 35..70
minutes later, ``Canceled`` 3..15 minutes later (the only cancellation), or ``Refunding`` two
hours later. Every record carries the whole order as it stands, as the document's format does.

Drawn from its own ``random.Random(f"{seed}:{shop_id}:{business_date}:waimai")`` so the bills
of the day are the same with or without deliveries.

Money (Decimal, to the fen): ``goodsAmount`` = sum of price x quantity; ``boxAmount`` = sum of
boxPrice x boxQuantity; ``amount`` = ``onlinePaid`` = goods + box + shipFee - channelPromotion
- partnerPromotion; ``channelShare`` = 18% of goods; ``partnerReceive`` = goods + box -
partnerPromotion - channelShare. About one line in seven names no shop goods (unmapped).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from etl.business_day import BusinessDayRule
from etl.simulator.qianhub_catalog import A_LA_CARTE, GOODS
from etl.simulator.qianhub_common import WAIMAI_ORDER, fmt_time, q2, snowflake, wire
from etl.simulator.qianhub_shops import ShopProfile

Record = dict[str, object]
CHANNEL_SHARE = Decimal("0.18")
_DRINKS = {"酒水"}


def delivery_day(
    shop: ShopProfile, seed: int, business_date: dt.date, rule: BusinessDayRule, shop_key: str
) -> tuple[list[tuple[dt.datetime, Record]], list[Record]]:
    """``(timeline, finals)``: every record with its emission time, and each order's final
    ``json`` (what a full day's load must end with)."""
    rng = random.Random(f"{seed}:{shop.shop_id}:{business_date}:waimai")
    midnight = dt.datetime.combine(business_date, dt.time())
    _, next_start = rule.window(business_date)
    first = midnight + dt.timedelta(hours=10, minutes=30)
    last = min(midnight + dt.timedelta(hours=21, minutes=30), next_start - dt.timedelta(hours=3))
    span = int((last - first).total_seconds())
    if span <= 0:
        return [], []
    placed = sorted(
        first + dt.timedelta(seconds=rng.randrange(span)) for _ in range(rng.randint(6, 18))
    )
    timeline: list[tuple[dt.datetime, Record]] = []
    finals: list[Record] = []
    for n, created in enumerate(placed, start=1):
        order = _order(rng, shop, created, n, business_date)
        timeline.append((created, _record(shop_key, shop.shop_id, order, "OrderSubmitted")))
        roll = rng.random()
        if roll < 0.08:
            state, delay = "Canceled", rng.randint(3, 15)
        elif roll < 0.12:
            state, delay = "Refunding", 120
        else:
            state, delay = "Completed", rng.randint(35, 70)
        final = _record(shop_key, shop.shop_id, order, state)
        timeline.append((created + dt.timedelta(minutes=delay), final))
        finals.append(final["json"])  # type: ignore[arg-type]
    return timeline, finals


def _record(shop_key: str, shop_id: int, order: Record, state: str) -> Record:
    return {
        shop_key: shop_id,
        "boh_type": WAIMAI_ORDER,
        "json": {
            **order,
            "orderState": state,
            "payState": "Refunded" if state == "Canceled" else "Paid",
        },
    }


def _order(
    rng: random.Random, shop: ShopProfile, created: dt.datetime, n: int, day: dt.date
) -> Record:
    order_id = snowflake(created, n % 1000, shop.worker, 4095)
    channel = "MT" if rng.random() < 0.6 else "EL"
    lines = []
    goods_amount = box_amount = Decimal(0)
    for line_no, (goods_id, _) in enumerate(rng.sample(A_LA_CARTE, k=rng.randint(1, 4)), start=1):
        goods = GOODS[goods_id]
        quantity = rng.choice((1, 1, 1, 2))
        box_price = Decimal(0) if goods.subgroup.name in _DRINKS else Decimal(rng.choice((1, 2)))
        mapped = rng.random() >= 1 / 7
        goods_amount += goods.price * quantity
        box_amount += box_price * quantity
        lines.append(
            {
                "id": order_id + line_no,
                "order": order_id,
                "partnerGoods": goods_id if mapped else None,
                "partnerGoodsName": goods.name if mapped else None,
                "partnerGoodsSN": goods.sn if mapped else None,
                "channelGoods": f"{channel}{goods_id * 7 + 13}",
                "channelGoodsName": f"{goods.name}(外卖)",
                "unitName": goods.unit[1],
                "price": wire(goods.price),
                "quantity": quantity,
                "boxPrice": wire(box_price),
                "boxQuantity": quantity if box_price else 0,
                "bagName": "1号袋",
                "createon": fmt_time(created),
            }
        )
    ship_fee = Decimal(rng.choice((3, 5)))
    channel_promotion = Decimal(rng.randint(0, 5))
    partner_promotion = Decimal(rng.choice((0, 0, 5, 8))) if goods_amount >= 40 else Decimal(0)
    share = q2(goods_amount * CHANNEL_SHARE)
    amount = goods_amount + box_amount + ship_fee - channel_promotion - partner_promotion
    promotions = (
        [{"name": f"满40减{partner_promotion}", "amount": wire(partner_promotion)}]
        if partner_promotion
        else []
    )
    return {
        "order": order_id,
        "sn": n,
        "channel": channel,
        "channelOrder": f"{day:%Y%m%d}{order_id % 10**9:09d}",
        "amount": wire(amount),
        "guest": {
            "name": "顾客",
            "address": "深圳市南山区",
            "phone": "13800000000",
            "count": rng.randint(1, 4),
        },
        "shipType": "platform",
        "details": lines,
        "promotions": promotions,
        "extra": {
            "goodsAmount": wire(goods_amount),
            "boxAmount": wire(box_amount),
            "pickType": 0,
            "channelShare": wire(share),
            "channelPromotion": wire(channel_promotion),
            "partnerReceive": wire(goods_amount + box_amount - partner_promotion - share),
            "partnerPromotion": wire(partner_promotion),
            "partnerShipFee": 0,
            "onlinePaid": wire(amount),
            "shipFee": wire(ship_fee),
            "hasInvoice": 0,
            "partner": str(shop.shop_id),
            "partnerMch": f"M{shop.shop_id}",
            "channelMch": f"{channel}-{shop.shop_id}",
        },
        "createon": fmt_time(created),
    }
