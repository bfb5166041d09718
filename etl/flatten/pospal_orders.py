"""Pospal online orders (网单) -> orders and order_items; payment methods -> pay_methods.

Grain: one ``orders`` row per order record (key ``account``, ``order_no``), one
``order_items`` row per ``items[]`` line numbered by ``line_no`` (0-based position); both carry
``business_date``, the business day of ``orderDateTime``. One ``pay_methods`` row per method of
``queryAllPayMethod`` (key ``account``, ``code``).

The order document is a lower-cased copy; real answers use camelCase (``orderNo``,
``orderDateTime``, ``eshopSellPrice``, ``productQuantity`` ...), decoded by
:class:`etl.pospal.models.Order`. ``state`` is kept as sent and named in ``state_name`` from
the documented codes; a null state is the documented "0 or null: created".

A record is all or nothing: any bad field rejects the whole order.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from etl.business_day import BusinessDayRule
from etl.flatten.columns import Row, Staged
from etl.flatten.decimals import money, quantity
from etl.flatten.pospal_values import flag, optional_time, percent, price, require_key
from etl.flatten.qianhub_envelope import decode
from etl.flatten.times import require_time
from etl.pospal.models import Order, PayMethod, code_text

ORDER_STATES: dict[int, str] = {
    0: "created",  # 定单创建时的状态 (also a null state)
    1: "synced",  # 已同步到客户端
    2: "shipped",  # 已发货
    3: "canceled",  # 定单取消
    4: "completed",  # 定单结束
    5: "accepted",  # 商家确认接收新订单
    8: "dispatching",  # 待厨打 / 下发配送订单
    9: "received",  # 用户已确认收货 (push document)
}
"""Documented order states; any other code keeps ``state`` with a NULL ``state_name``."""
CANCELED = 3

_ORDER = msgspec.json.Decoder(Order)
_PAY_METHOD = msgspec.json.Decoder(PayMethod)


def flatten_order(raw: msgspec.Raw, rule: BusinessDayRule, account: str) -> Staged:
    """Rows of one order; raises :class:`RecordError` naming the first bad field."""
    order = decode(_ORDER, raw, "order")
    head = (account, require_key(order.order_no, "order.orderNo"))
    order_time = require_time(order.order_date_time, "order.orderDateTime")
    business_date = rule.business_date(order_time)
    state = 0 if order.state is None else order.state
    order_row = (
        *head,
        business_date,
        order_time,
        order.id,
        order.state,
        ORDER_STATES.get(state),
        state == CANCELED,
        order.pay_method,
        flag(order.pay_online, "order.payOnline"),
        code_text(order.customer_number),
        money(order.total_amount, "order.totalAmount"),
        money(order.shipping_fee, "order.shippingFee"),
        order.order_remark,
        order.contact_name,
        code_text(order.contact_tel),
        order.contact_address,
        code_text(order.day_seq),
        order.delivery_type,
        order.order_source,
        optional_time(order.reservation_time, "order.reservationTime"),
        order.dinners_number,
        order.restaurant_area_name,
        order.restaurant_table_name,
        len(order.items or ()),
    )
    return {"orders": [order_row], "order_items": _item_rows(order, head, business_date)}


def _item_rows(order: Order, head: tuple[str, str], business_date: dt.date) -> list[Row]:
    rows: list[Row] = []
    for line_no, item in enumerate(order.items or ()):
        where = f"order.items[{line_no}]"
        rows.append(
            (
                *head,
                line_no,
                business_date,
                item.product_uid,
                item.product_name,
                code_text(item.product_barcode),
                quantity(item.product_quantity, f"{where}.productQuantity"),
                price(item.eshop_sell_price, f"{where}.eshopSellPrice"),
                price(item.product_buy_price, f"{where}.productBuyPrice"),
                price(item.product_sell_price, f"{where}.productSellPrice"),
                price(item.customer_price, f"{where}.customerPrice"),
                percent(item.customer_discount, f"{where}.customerDiscount"),
                flag(item.is_customer_discount, f"{where}.isCustomerDiscount"),
                item.promotion_rule_uid,
                item.comment,
            )
        )
    return rows


def flatten_pay_method(raw: msgspec.Raw, account: str) -> Staged:
    """The row of one payment method; raises :class:`RecordError` naming the bad field."""
    method = decode(_PAY_METHOD, raw, "payMethod")
    return {
        "pay_methods": [
            (
                account,
                require_key(method.code, "payMethod.code"),
                method.name,
                method.show_name,
                flag(method.enable, "payMethod.enable"),
            )
        ]
    }
