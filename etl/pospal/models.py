"""Typed shapes of Pospal (银豹) answers, decoded with msgspec.

Why msgspec Structs: decoding validates ids and structure in C and names the failing field
(``Expected `int`, got `str` - at `$.items[0].productUid```), which becomes the reject reason.

Vendor facts that shape the types (``../shared/specs/README.md``, Pospal section):

* Ids (``uid``, ``cashierUid``, ``customerUid``, ``productUid``, ``sellTicketUid``, order
  ``id``) are Java ``Long``s beyond 2^53: decoded straight to ``int``, never through a float,
  and bounded to int64 (:data:`Int64`), the range of the ``BIGINT`` columns.
* Money, prices, quantities and discount percentages are JSON numbers (``9.42``, ``72``),
  kept as :data:`JsonNumber` -- the raw JSON text -- and converted exactly by
  :mod:`etl.flatten.decimals`.
* Field names are camelCase on the wire (the order document is a lower-cased copy of the real
  names: ``orderNo``, ``orderDateTime``, ``eshopSellPrice`` ...); the Structs use snake_case and
  ``rename="camel"``. ``ticketitemattributes`` is all lower case on the wire, as named here.
* Flags are ``0``/``1`` on tickets (``invalid``, ``isCustomerDiscount``) and booleans on orders
  (``isCustomerDiscount``); :data:`Flag` accepts both.

Only the fields the warehouse stores are declared; unknown fields are ignored so that a vendor
addition never breaks a load. Lists may be ``null`` (read as empty). Structs are ``gc=False``:
decoded, read once and dropped, never in a reference cycle.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
"""A vendor ``Long`` id, stored as ``BIGINT``."""

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
"""A vendor ``Int`` (order state, delivery type, diners), stored as ``INTEGER``."""

JsonNumber = msgspec.Raw
"""The exact JSON text of a number (or ``null``); converted by :mod:`etl.flatten.decimals`."""

NULL = msgspec.Raw(b"null")
"""Default for absent raw fields: reads as SQL NULL."""

Flag = bool | Int32
"""A yes/no flag: ``0``/``1`` (tickets) or ``false``/``true`` (orders)."""

Code = str | int
"""A code or number the vendor documents as text (barcode, member number, phone, 牌号); a bare
JSON number is accepted as its digits."""


def code_text(value: Code | None) -> str | None:
    """A code as stored (``VARCHAR``): one sent as a bare number keeps its digits."""
    return str(value) if isinstance(value, int) else value


class _Model(msgspec.Struct, kw_only=True, gc=False, rename="camel"):
    """Base: camelCase on the wire, keyword-only, untracked by the GC."""


class Answer(msgspec.Struct, gc=False, rename="camel"):
    """Every answer: ``{"status", "messages", "errorCode", "data"}``. ``data`` stays raw: a
    page ``{"postBackParameter", "result", "pageSize"}``, a bare list, or one record."""

    status: str | None = None
    messages: msgspec.Raw = NULL
    error_code: msgspec.Raw = NULL
    data: msgspec.Raw = NULL


class Cashier(_Model):
    """``cashier`` on real ticket answers (not in the document): who rang the ticket up."""

    job_number: Code | None = None
    name: str | None = None


class TicketItemAttribute(_Model):
    """A taste option or note on a ticket line (口味: 加糖 / 加冰 ...). ``attributeValue`` is
    text in the document; a bare number is kept as its exact JSON text."""

    attribute_name: str | None = None
    attribute_value: msgspec.Raw = NULL


class TicketItem(_Model):
    """One ticket line (``items[]``)."""

    product_uid: Int64 | None = None
    name: str | None = None
    product_barcode: Code | None = None
    buy_price: JsonNumber = NULL
    sell_price: JsonNumber = NULL
    customer_price: JsonNumber = NULL
    quantity: JsonNumber = NULL
    discount: JsonNumber = NULL
    customer_discount: JsonNumber = NULL
    total_amount: JsonNumber = NULL
    total_profit: JsonNumber = NULL
    is_customer_discount: Flag | None = None
    is_weighing: Flag | None = None
    ticketitemattributes: list[TicketItemAttribute] | None = None


class TicketPayment(_Model):
    """One payment line: ``code`` is ``payCode_N`` (``payCode_1`` = cash everywhere)."""

    code: str
    amount: JsonNumber = NULL


class Ticket(_Model):
    """One sale or return ticket (单据).

    ``sn`` and ``uid`` identify it; a re-checkout (反结账) changes it in place with the same
    ``sn`` and ``uid``. ``datetime`` decides the business day. ``ticketType`` is required and
    checked by the flattener (``SELL`` / ``SELL_RETURN``, any case). ``sellTicketUid`` (the sale
    a return refers to) and ``ticketStoreAppIdOrAccount`` (the store, on member histories) are
    optional.
    """

    sn: str
    uid: Int64
    datetime: str
    ticket_type: str
    cashier_uid: Int64 | None = None
    cashier: Cashier | None = None
    customer_uid: Int64 | None = None
    total_amount: JsonNumber = NULL
    total_profit: JsonNumber = NULL
    discount: JsonNumber = NULL
    rounding: JsonNumber = NULL
    external_order_no: str | None = None
    remark: str | None = None
    invalid: Flag | None = None
    sell_ticket_uid: Int64 | None = None
    ticket_store_app_id_or_account: str | None = None
    payments: list[TicketPayment] | None = None
    items: list[TicketItem] | None = None


class OrderItem(_Model):
    """One line of an online order (网单)."""

    product_uid: Int64 | None = None
    product_name: str | None = None
    product_barcode: Code | None = None
    product_quantity: JsonNumber = NULL
    eshop_sell_price: JsonNumber = NULL
    product_buy_price: JsonNumber = NULL
    product_sell_price: JsonNumber = NULL
    customer_price: JsonNumber = NULL
    customer_discount: JsonNumber = NULL
    is_customer_discount: Flag | None = None
    promotion_rule_uid: Int64 | None = None
    comment: str | None = None


class Order(_Model):
    """One online order. ``orderNo`` identifies it; ``orderDateTime`` decides the business day.
    ``state`` changes over the order's life (0/null created ... 3 canceled, 4 completed)."""

    order_no: str
    order_date_time: str
    id: Int64 | None = None
    state: Int32 | None = None
    pay_method: str | None = None
    pay_online: Flag | None = None
    customer_number: Code | None = None
    total_amount: JsonNumber = NULL
    shipping_fee: JsonNumber = NULL
    order_remark: str | None = None
    contact_name: str | None = None
    contact_tel: Code | None = None
    contact_address: str | None = None
    day_seq: Code | None = None
    delivery_type: Int32 | None = None
    order_source: str | None = None
    reservation_time: str | None = None
    dinners_number: Int32 | None = None
    restaurant_area_name: str | None = None
    restaurant_table_name: str | None = None
    items: list[OrderItem] | None = None


class PayMethod(_Model):
    """One payment method of the store (``queryAllPayMethod``): ``code`` -> display name.
    ``showName`` and ``enable`` appear in real answers; both optional."""

    code: str
    name: str | None = None
    show_name: str | None = None
    enable: Flag | None = None
