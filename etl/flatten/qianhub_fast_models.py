"""Typed shapes of the fast bill path: the models of :mod:`etl.qianhub.models` with money,
quantities and weights as ``float`` (checked in bulk by :mod:`etl.flatten.bulk`), not raw text,
and a detail's ``goods`` kept raw (decoded once per distinct dish). A test holds them field for
field equal to the models otherwise.

``FastRecord`` only decodes a ``cashier.finish`` record: any other ``boh_type`` fails here and
takes the reference path.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from etl.qianhub.models import NULL, Code, Int32, Int64


class FastStruct(msgspec.Struct, kw_only=True, gc=False):
    """Base: keyword-only, untracked by the GC (decoded, read once, dropped)."""


class FastDetail(FastStruct):
    detail_id: Int64
    goods: msgspec.Raw = NULL  # decoded once per distinct dish (qianhub_fast)
    tags: list[str] | None = None
    origin_price: float | None = None
    current_price: float | None = None
    real_amount: float | None = None
    quantity: float | None = None
    void_quantity: float | None = None
    weight: float | None = None
    staff_id: Int64 | None = None
    staff_name: str | None = None
    remark: str | None = None
    children: list[FastDetail] | None = None


class FastOrder(FastStruct):
    order_id: Int64
    order_name: str | None = None
    order_sn: Code | None = None
    person_count: Int32 | None = None
    table_id: Int64 | None = None
    order_amount: float | None = None
    goods_amount: float | None = None
    surcharge: float | None = None
    mincharge: float | None = None
    discount: float | None = None
    promotion: float | None = None
    voucher: float | None = None
    details: list[FastDetail] | None = None


class FastPayment(FastStruct):
    payment_type_id: Int32 | None = None
    payment_type_name: str | None = None
    payment_type_sn: Code | None = None
    value: float | None = None
    change: float | None = None
    unreal: float | None = None


class FastPromotion(FastStruct):
    promotion_id: Int64 | None = None
    promotion_name: str | None = None
    promotion_type_id: Int32 | None = None
    promotion_type_name: str | None = None
    value: float | None = None


class FastDiscount(FastStruct):
    discount_id: Int64 | None = None
    discount_name: str | None = None
    value: float | None = None


class FastBill(FastStruct):
    bill_id: Int64
    cashier_on: str
    brand_id: Int64 | None = None
    brand_name: str | None = None
    shop_id: Int64 | None = None
    shop_name: str | None = None
    sn: Code | None = None
    amount: float | None = None
    real_amount: float | None = None
    goods_amount: float | None = None
    order_amount: float | None = None
    paid: float | None = None
    surcharge: float | None = None
    mincharge: float | None = None
    discount: float | None = None
    promotion: float | None = None
    rounding: float | None = None
    cashier_staff_id: Int64 | None = None
    cashier_staff_name: str | None = None
    undo_index: Int32 | None = None
    orders: list[FastOrder] | None = None
    payments: list[FastPayment] | None = None
    promotions: list[FastPromotion] | None = None
    discounts: list[FastDiscount] | None = None
    create_on: str | None = None


class FastRecord(FastStruct):
    """A ``cashier.finish`` record whose envelope names its shop as ``shop_id``; any other
    shape (the ``shop_<n>`` key, another ``boh_type``) fails to decode and takes the reference
    path."""

    boh_type: Literal["cashier.finish"]
    json: FastBill
    shop_id: Int64 | None = None
    staff_id: Int64 | None = None
    staff_name: str | None = None
    create_on: str | None = None


RECORD = msgspec.json.Decoder(FastRecord)
