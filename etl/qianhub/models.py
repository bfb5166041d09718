"""Typed shapes of QianHub documents, decoded with msgspec.

Why msgspec Structs and not dicts: decoding validates ids and structure in C and names the
failing field (``Expected `int`, got `str` - at `$.bill_id```), which becomes the reject reason.

Two vendor facts shape the types:

* Ids are Java ``Long``s and exceed 2^53, so they are decoded straight to Python ``int`` (never
  through a float) and bounded to int64 (:data:`Int64`), the range of the ``BIGINT`` columns.
* Money, quantities and weights are Java ``double``s written as JSON numbers, with float noise
  (``69.80000000000001``). They are kept as :data:`JsonNumber` -- the raw JSON text -- and
  converted by :mod:`etl.flatten.decimals`, which rounds the noise away exactly and rejects
  strings and genuinely finer values. A ``decimal.Decimal`` field would also accept JSON strings
  such as ``"12.30"``, which the vendor never sends for money.

Only fields the warehouse stores are declared; unknown fields are ignored so that a vendor
addition never breaks a load. Lists may be ``null`` (read as empty) and every field except the
keys may be missing. Structs are ``gc=False``: they are decoded, read once and dropped, and
never form reference cycles, so the garbage collector need not track them.

The envelope around each record (``shop_id`` or ``"shop_<n>": n``, ``staff_id``, ``boh_type``,
``json``) is not a Struct because one of its keys is spelled with the shop's id in it; see
:mod:`etl.flatten.qianhub_envelope`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
"""A vendor ``Long`` id, stored as ``BIGINT``."""

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
"""A vendor ``Int`` (type ids, person counts, ``undo_index``), stored as ``INTEGER``."""

JsonNumber = msgspec.Raw
"""The exact JSON text of a number (or ``null``); converted by :mod:`etl.flatten.decimals`."""

NULL = msgspec.Raw(b"null")
"""Default for absent :data:`JsonNumber` fields: reads as SQL NULL."""

Code = str | int
"""A vendor code (``sn``): a string in the document; a bare number is accepted as its digits."""


def code_text(value: Code | None) -> str | None:
    """A vendor code as stored (``VARCHAR``): a code sent as a bare number keeps its digits."""
    return str(value) if isinstance(value, int) else value


class _Model(msgspec.Struct, kw_only=True, gc=False):
    """Base: keyword-only (required keys may follow optional fields), untracked by the GC."""


class Goods(_Model):
    """The dish a bill detail refers to (``details[].goods``)."""

    goods_id: Int64 | None = None
    goods_name: str | None = None
    goods_sn: Code | None = None
    product_type_id: Int32 | None = None
    product_type_name: str | None = None
    goods_group_id: Int64 | None = None
    goods_group_name: str | None = None
    goods_group_sn: Code | None = None
    goods_subgroup_id: Int64 | None = None
    goods_subgroup_name: str | None = None
    goods_subgroup_sn: Code | None = None
    unit_type_id: Int64 | None = None
    unit_type_name: str | None = None


class Detail(_Model):
    """One ordered item; ``children`` nest cooking methods, add-ons and set-meal parts."""

    detail_id: Int64
    goods: Goods | None = None
    tags: list[str] | None = None
    origin_price: JsonNumber = NULL
    current_price: JsonNumber = NULL
    real_amount: JsonNumber = NULL
    quantity: JsonNumber = NULL
    void_quantity: JsonNumber = NULL
    weight: JsonNumber = NULL
    staff_id: Int64 | None = None
    staff_name: str | None = None
    remark: str | None = None
    children: list[Detail] | None = None


class Order(_Model):
    """One order (usually one table) inside a bill."""

    order_id: Int64
    order_name: str | None = None
    order_sn: Code | None = None
    person_count: Int32 | None = None
    table_id: Int64 | None = None
    order_amount: JsonNumber = NULL
    goods_amount: JsonNumber = NULL
    surcharge: JsonNumber = NULL
    mincharge: JsonNumber = NULL
    discount: JsonNumber = NULL
    promotion: JsonNumber = NULL
    voucher: JsonNumber = NULL
    details: list[Detail] | None = None


class Payment(_Model):
    """One payment line of a bill."""

    payment_type_id: Int32 | None = None
    payment_type_name: str | None = None
    payment_type_sn: Code | None = None
    value: JsonNumber = NULL
    change: JsonNumber = NULL
    unreal: JsonNumber = NULL


class Promotion(_Model):
    """One promotion applied to a bill; ``value`` is negative."""

    promotion_id: Int64 | None = None
    promotion_name: str | None = None
    promotion_type_id: Int32 | None = None
    promotion_type_name: str | None = None
    value: JsonNumber = NULL


class Discount(_Model):
    """One discount applied to a bill; ``value`` is negative."""

    discount_id: Int64 | None = None
    discount_name: str | None = None
    value: JsonNumber = NULL


class Bill(_Model):
    """The ``json`` of a ``cashier.finish`` record: one checked-out bill.

    ``bill_id`` is global; a re-checkout re-emits it with ``undo_index + 1``. ``cashier_on`` is
    required because it decides both the business day and, after ``undo_index``, the version.
    An absent or null ``undo_index`` reads as 0 (never re-checked-out), as the document describes.
    """

    bill_id: Int64
    cashier_on: str
    brand_id: Int64 | None = None
    brand_name: str | None = None
    shop_id: Int64 | None = None
    shop_name: str | None = None
    sn: Code | None = None
    amount: JsonNumber = NULL
    real_amount: JsonNumber = NULL
    goods_amount: JsonNumber = NULL
    order_amount: JsonNumber = NULL
    paid: JsonNumber = NULL
    surcharge: JsonNumber = NULL
    mincharge: JsonNumber = NULL
    discount: JsonNumber = NULL
    promotion: JsonNumber = NULL
    rounding: JsonNumber = NULL
    cashier_staff_id: Int64 | None = None
    cashier_staff_name: str | None = None
    undo_index: Int32 | None = None
    orders: list[Order] | None = None
    payments: list[Payment] | None = None
    promotions: list[Promotion] | None = None
    discounts: list[Discount] | None = None
    create_on: str | None = None


class StatLine(_Model):
    """One line of a handover / day-end section; ``subdetail`` nests lines under it.

    Summary lines carry ``value`` (text such as ``"4.35%"``, kept as sent); the other sections
    carry ``count`` and ``amount``.
    """

    key: str | None = None
    item: str | None = None
    value: msgspec.Raw = NULL
    count: JsonNumber = NULL
    amount: JsonNumber = NULL
    subdetail: list[StatLine] | None = None


class Shop(_Model):
    """One shop from ``qianhub.agent.list-shop``."""

    shop_id: Int64
    brand_id: Int64 | None = None
    brand_name: str | None = None
    sn: Code | None = None
    shop_name: str | None = None
    shop_address: str | None = None
    shop_contact: str | None = None
    business_on: str | None = None
    latest_business_day: str | None = None
    create_on: str | None = None


class ShopList(_Model):
    """The ``list-shop`` response; shops stay raw so each bad one is rejected on its own.

    ``shops`` is required: a body without it is not a shop list, and must not read as "no shops".
    """

    shops: list[msgspec.Raw] | None


class DeliveryGuest(_Model):
    """``guest`` of a delivery order. Name, address and phone are personal data: they stay in
    the raw landing and are not decoded into the warehouse."""

    count: Int32 | None = None


class DeliveryItem(_Model):
    """One line (``details[]``) of a delivery order: the platform's goods and, when the shop
    mapped it, the shop's own goods (``partner*``)."""

    id: Int64 | None = None
    partnerGoods: Int64 | None = None
    partnerGoodsName: str | None = None
    partnerGoodsSN: Code | None = None
    channelGoods: Code | None = None
    channelGoodsName: str | None = None
    unitName: str | None = None
    price: JsonNumber = NULL
    quantity: JsonNumber = NULL
    boxPrice: JsonNumber = NULL
    boxQuantity: JsonNumber = NULL
    bagName: str | None = None
    createon: str | None = None


class DeliveryExtra(_Model):
    """``extra`` of a delivery order: how the money splits between platform and shop."""

    goodsAmount: JsonNumber = NULL
    boxAmount: JsonNumber = NULL
    pickType: Code | None = None
    channelShare: JsonNumber = NULL
    channelPromotion: JsonNumber = NULL
    partnerReceive: JsonNumber = NULL
    partnerPromotion: JsonNumber = NULL
    partnerShipFee: JsonNumber = NULL
    onlinePaid: JsonNumber = NULL
    shipFee: JsonNumber = NULL
    hasInvoice: bool | int | None = None
    partner: Code | None = None
    partnerMch: Code | None = None
    channelMch: Code | None = None


class DeliveryOrder(_Model):
    """The ``json`` of a ``waimai.order`` record: one delivery order (外卖) in its state at the
    time of the record. ``order`` is global; ``sn`` the shop's daily sequence. The format is
    the later public revision of the document (see the specs README); ``promotions[]`` has no
    documented fields, so each entry is kept as its JSON text."""

    order: Int64
    createon: str
    sn: Code | None = None
    channel: str | None = None
    channelOrder: Code | None = None
    amount: JsonNumber = NULL
    guest: DeliveryGuest | None = None
    payState: Code | None = None
    orderState: str | None = None
    shipType: Code | None = None
    details: list[DeliveryItem] | None = None
    promotions: list[msgspec.Raw] | None = None
    extra: DeliveryExtra | None = None
