"""``waimai.order`` records (delivery orders, 外卖) -> an order row, its items and promotions.

Grain: one row per order (``order``, global) in the state the record carries; every state
change is a new record, and the warehouse keeps the one furthest along the order's life
(:data:`STATE_RANK`), so a state loaded late never replaces a later one. ``Canceled`` is the
only cancellation. ``business_date`` is the business day of ``createon`` (when the order was
placed), so a later state of the order stays on that day.

The money split (``extra``): ``goodsAmount`` + ``boxAmount`` + ``shipFee`` is what the order
is worth; ``channelPromotion`` / ``partnerPromotion`` are the platform's / shop's subsidies,
``channelShare`` the platform's commission and ``partnerReceive`` what the shop receives.

Items name the platform's goods (``channelGoods``) and, when the shop mapped it, the shop's
goods (``partnerGoods``): ``is_mapped`` says which. ``promotions[]`` has no documented fields:
each entry is kept whole as ``promotion_json``, with ``name`` and ``amount`` read when present.
Guest name, address and phone are personal data and stay in the raw landing only.
"""

from __future__ import annotations

import msgspec

from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.columns import Row, Staged
from etl.flatten.decimals import money, quantity
from etl.flatten.qianhub_envelope import Envelope, decode
from etl.flatten.times import parse_time, require_time
from etl.qianhub.models import DeliveryExtra, DeliveryItem, DeliveryOrder, code_text

CHANNELS = {"MT": "Meituan", "EL": "Ele.me"}
STATE_RANK = {
    "OrderSubmitted": 0,
    "OrderAcking": 1,
    "ShipAcking": 2,
    "Shipping": 3,
    "Completed": 4,
    "Refunding": 5,
    "Canceled": 6,
}
"""Where a state sits in an order's life; an unknown state ranks first, so any known later
state replaces it (and it is still loaded, never rejected, since states may be added)."""
UNKNOWN_STATE_RANK = -1

_ORDER = msgspec.json.Decoder(DeliveryOrder)
_PROMOTION = msgspec.json.Decoder(dict[str, msgspec.Raw])
_NO_EXTRA = DeliveryExtra()
_NAME_KEYS = ("name", "promotionName", "activityName", "title")
_AMOUNT_KEYS = ("amount", "value", "money")


def flatten_delivery(envelope: Envelope, rule: BusinessDayRule) -> Staged:
    """Rows of one delivery-order record; raises :class:`RecordError` naming the bad field."""
    order = decode(_ORDER, envelope.json, "json")
    if envelope.shop_id is None:
        raise RecordError("shop_id is missing (no shop_id / shop_<n> in the record)")
    created = require_time(order.createon, "json.createon")
    head = (order.order, envelope.shop_id, rule.business_date(created))
    items = [_item(item, head, n) for n, item in enumerate(order.details or ())]
    promotions = [_promotion(raw, head, n) for n, raw in enumerate(order.promotions or ())]
    extra = order.extra or _NO_EXTRA
    state = order.orderState
    channel = order.channel
    row: Row = (
        *head,
        code_text(order.sn),
        channel,
        CHANNELS.get(channel or "", channel),
        code_text(order.channelOrder),
        state,
        STATE_RANK.get(state or "", UNKNOWN_STATE_RANK),
        state == "Canceled",
        code_text(order.payState),
        code_text(order.shipType),
        order.guest.count if order.guest else None,
        money(order.amount, "json.amount"),
        money(extra.goodsAmount, "json.extra.goodsAmount"),
        money(extra.boxAmount, "json.extra.boxAmount"),
        money(extra.shipFee, "json.extra.shipFee"),
        money(extra.channelShare, "json.extra.channelShare"),
        money(extra.channelPromotion, "json.extra.channelPromotion"),
        money(extra.partnerPromotion, "json.extra.partnerPromotion"),
        money(extra.partnerShipFee, "json.extra.partnerShipFee"),
        money(extra.partnerReceive, "json.extra.partnerReceive"),
        money(extra.onlinePaid, "json.extra.onlinePaid"),
        code_text(extra.pickType),
        None if extra.hasInvoice is None else bool(extra.hasInvoice),
        code_text(extra.partner),
        code_text(extra.partnerMch),
        code_text(extra.channelMch),
        len(items),
        created,
    )
    return {
        "delivery_orders": [row],
        "delivery_order_items": items,
        "delivery_order_promotions": promotions,
    }


def _item(item: DeliveryItem, head: tuple[int, int, object], n: int) -> Row:
    where = f"json.details[{n}]"
    return (
        head[0],
        n,
        head[1],
        head[2],
        item.id,
        code_text(item.channelGoods),
        item.channelGoodsName,
        item.partnerGoods,
        item.partnerGoodsName,
        code_text(item.partnerGoodsSN),
        item.partnerGoods is not None,
        item.unitName,
        money(item.price, f"{where}.price"),
        quantity(item.quantity, f"{where}.quantity"),
        money(item.boxPrice, f"{where}.boxPrice"),
        quantity(item.boxQuantity, f"{where}.boxQuantity"),
        item.bagName,
        parse_time(item.createon, f"{where}.createon"),
    )


def _promotion(raw: msgspec.Raw, head: tuple[int, int, object], n: int) -> Row:
    where = f"json.promotions[{n}]"
    fields = decode(_PROMOTION, raw, where)
    name = next(
        (text for key in _NAME_KEYS if isinstance(text := _text(fields.get(key)), str)), None
    )
    amount = next(
        (money(fields[key], f"{where}.{key}") for key in _AMOUNT_KEYS if key in fields), None
    )
    return (*head[:1], n, *head[1:], name, amount, bytes(raw).decode("utf-8", "replace"))


def _text(raw: msgspec.Raw | None) -> str | None:
    if raw is None or not bytes(raw).startswith(b'"'):
        return None
    value = msgspec.json.decode(raw)
    return value if isinstance(value, str) else None
