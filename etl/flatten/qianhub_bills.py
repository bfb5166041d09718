"""``cashier.finish`` records -> bills and their orders, detail tree, payments, promotions and
discounts.

Grain: one ``bills`` row per record (one bill version), one ``bill_orders`` row per order, one
``bill_details`` row per detail node -- children flattened with ``parent_detail_id``,
``root_detail_id``, ``depth`` and a ``path`` of detail ids -- and one row per payment,
promotion and discount line, numbered by ``line_no`` (the position in the bill, 0-based)
because those lines have no id. Every row carries ``shop_id`` and ``business_date`` (the
business day of ``cashier_on``) so facts can be filtered without joining the bill.

A record is all or nothing: any bad field anywhere in the bill rejects the whole bill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.columns import Row, Staged
from etl.flatten.decimals import money, quantity
from etl.flatten.qianhub_envelope import Envelope, decode, resolve_shop
from etl.flatten.qianhub_tables import BILL_VERSIONS, BILLS
from etl.flatten.times import parse_time, require_time
from etl.qianhub.models import Bill, Detail, Goods, Order, code_text

MAX_DEPTH = 64
"""Deepest ``children`` level accepted (0 = top level); deeper means a malformed tree."""

_BILL = msgspec.json.Decoder(Bill)
_NO_GOODS = Goods()


def flatten_bill(envelope: Envelope, rule: BusinessDayRule) -> Staged:
    """Rows of one bill version; raises :class:`RecordError` naming the first bad field."""
    bill = decode(_BILL, envelope.json, "json")
    shop_id = resolve_shop(envelope.shop_id, bill.shop_id)
    cashier_on = require_time(bill.cashier_on, "json.cashier_on")
    business_date = rule.business_date(cashier_on)
    head = (bill.bill_id, shop_id, business_date)
    bills_row = (
        *head,
        code_text(bill.sn),
        bill.brand_id,
        bill.brand_name,
        bill.shop_name,
        envelope.staff_id,
        envelope.staff_name,
        money(bill.amount, "json.amount"),
        money(bill.real_amount, "json.real_amount"),
        money(bill.goods_amount, "json.goods_amount"),
        money(bill.order_amount, "json.order_amount"),
        money(bill.paid, "json.paid"),
        money(bill.surcharge, "json.surcharge"),
        money(bill.mincharge, "json.mincharge"),
        money(bill.discount, "json.discount"),
        money(bill.promotion, "json.promotion"),
        money(bill.rounding, "json.rounding"),
        bill.cashier_staff_id,
        bill.cashier_staff_name,
        bill.undo_index or 0,
        parse_time(bill.create_on, "json.create_on"),
        cashier_on,
    )
    orders: list[Row] = []
    details: list[Row] = []
    for line_no, order in enumerate(bill.orders or ()):
        where = f"json.orders[{line_no}]"
        orders.append(_order_row(order, head, line_no, where))
        _walk(order.details, details, (bill.bill_id, order.order_id), head, None, 0, where)
    # Keys within a bill must be unique, or the version would load as duplicate rows: a
    # detail repeating its ancestor's id (a cycle in all but name) rejects the whole bill.
    _require_unique((row[1] for row in orders), "json.orders[].order_id")
    _require_unique((row[2] for row in details), "json.orders[].details[].detail_id")
    # The version's own row, kept beside the latest one for the re-checkout audit.
    named = dict(zip(BILLS.names, bills_row, strict=False))
    version_row = tuple(named[name] for name in BILL_VERSIONS.names if name != REC)
    return {
        "bills": [bills_row],
        "bill_versions": [version_row],
        "bill_orders": orders,
        "bill_details": details,
        "bill_payments": _payment_rows(bill, head),
        "bill_promotions": _promotion_rows(bill, head),
        "bill_discounts": _discount_rows(bill, head),
    }


def _require_unique(values: Iterable[object], field: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise RecordError(f"{field} {value} appears twice in one bill")
        seen.add(value)


def _payment_rows(bill: Bill, head: tuple[int, int, dt.date]) -> list[Row]:
    bill_id, shop_id, business_date = head
    rows: list[Row] = []
    for n, line in enumerate(bill.payments or ()):
        where = f"json.payments[{n}]"
        rows.append(
            (
                bill_id,
                n,
                shop_id,
                business_date,
                line.payment_type_id,
                line.payment_type_name,
                code_text(line.payment_type_sn),
                money(line.value, f"{where}.value"),
                money(line.change, f"{where}.change"),
                money(line.unreal, f"{where}.unreal"),
            )
        )
    return rows


def _promotion_rows(bill: Bill, head: tuple[int, int, dt.date]) -> list[Row]:
    bill_id, shop_id, business_date = head
    return [
        (
            bill_id,
            n,
            shop_id,
            business_date,
            line.promotion_id,
            line.promotion_name,
            line.promotion_type_id,
            line.promotion_type_name,
            money(line.value, f"json.promotions[{n}].value"),
        )
        for n, line in enumerate(bill.promotions or ())
    ]


def _discount_rows(bill: Bill, head: tuple[int, int, dt.date]) -> list[Row]:
    bill_id, shop_id, business_date = head
    return [
        (
            bill_id,
            n,
            shop_id,
            business_date,
            line.discount_id,
            line.discount_name,
            money(line.value, f"json.discounts[{n}].value"),
        )
        for n, line in enumerate(bill.discounts or ())
    ]


def _order_row(order: Order, head: tuple[int, int, dt.date], line_no: int, where: str) -> Row:
    bill_id, shop_id, business_date = head
    try:
        return (
            bill_id,
            order.order_id,
            shop_id,
            business_date,
            line_no,
            order.order_name,
            code_text(order.order_sn),
            order.person_count,
            order.table_id,
            money(order.order_amount, "order_amount"),
            money(order.goods_amount, "goods_amount"),
            money(order.surcharge, "surcharge"),
            money(order.mincharge, "mincharge"),
            money(order.discount, "discount"),
            money(order.promotion, "promotion"),
            money(order.voucher, "voucher"),
        )
    except RecordError as exc:
        raise RecordError(f"{where}.{exc.reason}") from None


def _walk(
    nodes: list[Detail] | None,
    out: list[Row],
    ids: tuple[int, int],
    head: tuple[int, int, dt.date],
    parent: tuple[int, int, str] | None,
    depth: int,
    where: str,
) -> None:
    """Append ``nodes`` and their descendants in pre-order.

    ``parent`` is ``(parent_detail_id, root_detail_id, path)`` of the enclosing node, None at
    the top level. ``where`` locates the nodes in reject reasons.
    """
    list_name = "details" if parent is None else "children"
    for line_no, node in enumerate(nodes or ()):
        here = f"{where}.{list_name}[{line_no}]"
        if depth > MAX_DEPTH:
            raise RecordError(f"{here}: details nested deeper than {MAX_DEPTH} levels")
        detail_id = node.detail_id
        if parent is None:
            parent_id, root_id, path = None, detail_id, str(detail_id)
        else:
            parent_id, root_id, path = parent[0], parent[1], f"{parent[2]}/{detail_id}"
        out.append(_detail_row(node, ids, head, (parent_id, root_id, depth, path, line_no), here))
        _walk(node.children, out, ids, head, (detail_id, root_id, path), depth + 1, here)


def _detail_row(
    node: Detail,
    ids: tuple[int, int],
    head: tuple[int, int, dt.date],
    position: tuple[int | None, int, int, str, int],
    where: str,
) -> Row:
    goods = node.goods or _NO_GOODS
    try:
        return (
            *ids,
            node.detail_id,
            *position,
            *head[1:],
            goods.goods_id,
            goods.goods_name,
            code_text(goods.goods_sn),
            goods.product_type_id,
            goods.product_type_name,
            goods.goods_group_id,
            goods.goods_group_name,
            code_text(goods.goods_group_sn),
            goods.goods_subgroup_id,
            goods.goods_subgroup_name,
            code_text(goods.goods_subgroup_sn),
            goods.unit_type_id,
            goods.unit_type_name,
            node.tags or [],
            money(node.origin_price, "origin_price"),
            money(node.current_price, "current_price"),
            money(node.real_amount, "real_amount"),
            quantity(node.quantity, "quantity"),
            quantity(node.void_quantity, "void_quantity"),
            quantity(node.weight, "weight"),
            node.staff_id,
            node.staff_name,
            node.remark,
        )
    except RecordError as exc:
        raise RecordError(f"{where}.{exc.reason}") from None
