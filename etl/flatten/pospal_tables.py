"""The Pospal target tables as Arrow schemas, and how each entity is upserted.

Each schema lists the columns of ``sql/ddl/2NN_pospal_<table>.sql`` in order, without the
lineage columns the warehouse adds, plus :data:`etl.batch.REC`. Every table starts with
``account`` -- our configured name for the Pospal account (one store's appId), not a vendor
value -- then its key, then ``business_date``.

Types mirror the DDL: ids ``BIGINT`` -> int64, vendor ``Int``s ``INTEGER`` -> int32, flags
``BOOLEAN``, store-local times naive ``timestamp[us]``. Numbers, by what they hold:

* amounts paid or charged (``totalAmount``, payments, ``rounding``, fees): ``DECIMAL(18,2)``;
* unit prices and profits (``buyPrice``, ``sellPrice``, ``customerPrice``, ``totalProfit``,
  order item prices): ``DECIMAL(18,4)``. A store's cost price (进货价) can be kept finer than a
  cent and profit is derived from it; four places hold such values without rounding, and
  anything finer is still a reject, never rounded;
* quantities (``quantity``, ``productQuantity``, e.g. 3.5 boxes): ``DECIMAL(18,3)``;
* discount percentages (``discount``, ``customerDiscount``; 100 = no discount):
  ``DECIMAL(9,3)``.

Columns declared ``NOT NULL`` in the DDL (keys, ``business_date``, required vendor fields and
derived flags) are non-nullable here; a test keeps the two in step.
"""

from __future__ import annotations

import pyarrow as pa

from etl.batch import REC, EntitySpec

SCHEMA = "pospal"

ID = pa.int64()
INT = pa.int32()
TEXT = pa.string()
FLAG = pa.bool_()
MONEY = pa.decimal128(18, 2)
PRICE = pa.decimal128(18, 4)
QUANTITY = pa.decimal128(18, 3)
PERCENT = pa.decimal128(9, 3)
DATE = pa.date32()
TIME = pa.timestamp("us")

PRICE_SCALE = 4
PERCENT_SCALE, PERCENT_PRECISION = 3, 9

Column = tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]
_NOT_NULL = False  # the third item of a column: nullable


def _schema(*columns: Column) -> pa.Schema:
    """Fields from ``(name, type[, nullable])``, then the non-null ``_rec`` ordinal."""
    fields = [pa.field(c[0], c[1], nullable=c[2] if len(c) == 3 else True) for c in columns]
    return pa.schema([*fields, pa.field(REC, pa.int64(), nullable=False)])


ACCOUNT: Column = ("account", TEXT, _NOT_NULL)
SN: Column = ("sn", TEXT, _NOT_NULL)
BUSINESS_DATE: Column = ("business_date", DATE, _NOT_NULL)
LINE_NO: Column = ("line_no", INT, _NOT_NULL)

# What a ticket says about itself; shared by tickets and customer_tickets.
_TICKET_FACTS: tuple[Column, ...] = (
    ("uid", ID, _NOT_NULL),
    ("ticket_time", TIME, _NOT_NULL),
    ("cashier_uid", ID),
    ("total_amount", MONEY),
    ("signed_amount", MONEY),
    ("total_profit", PRICE),
    ("discount_percent", PERCENT),
    ("rounding", MONEY),
    ("ticket_type", TEXT, _NOT_NULL),
    ("ticket_type_raw", TEXT, _NOT_NULL),
    ("is_void", FLAG, _NOT_NULL),
    ("is_return", FLAG, _NOT_NULL),
    ("external_order_no", TEXT),
    ("remark", TEXT),
    ("item_count", INT, _NOT_NULL),
)

TICKETS = _schema(
    ACCOUNT,
    SN,
    BUSINESS_DATE,
    *_TICKET_FACTS,
    ("cashier_job_number", TEXT),
    ("cashier_name", TEXT),
    ("customer_uid", ID),
    ("is_member", FLAG, _NOT_NULL),
    ("sell_ticket_uid", ID),
    ("store", TEXT),
)

TICKET_ITEMS = _schema(
    ACCOUNT,
    SN,
    LINE_NO,
    BUSINESS_DATE,
    ("product_uid", ID),
    ("name", TEXT),
    ("product_barcode", TEXT),
    ("buy_price", PRICE),
    ("sell_price", PRICE),
    ("customer_price", PRICE),
    ("quantity", QUANTITY),
    ("discount", PERCENT),
    ("customer_discount", PERCENT),
    ("total_amount", MONEY),
    ("total_profit", PRICE),
    ("is_customer_discount", FLAG),
    ("is_weighing", FLAG),
)

TICKET_ITEM_ATTRIBUTES = _schema(
    ACCOUNT,
    SN,
    LINE_NO,
    ("attr_no", INT, _NOT_NULL),
    BUSINESS_DATE,
    ("attribute_name", TEXT),
    ("attribute_value", TEXT),
)

TICKET_PAYMENTS = _schema(
    ACCOUNT,
    SN,
    LINE_NO,
    BUSINESS_DATE,
    ("code", TEXT, _NOT_NULL),
    ("pay_method_name", TEXT),
    ("amount", MONEY),
)

REFUND_LINKS = _schema(
    ACCOUNT,
    SN,
    BUSINESS_DATE,
    ("return_uid", ID, _NOT_NULL),
    ("sell_ticket_uid", ID, _NOT_NULL),
)

ORDERS = _schema(
    ACCOUNT,
    ("order_no", TEXT, _NOT_NULL),
    BUSINESS_DATE,
    ("order_time", TIME, _NOT_NULL),
    ("order_id", ID),
    ("state", INT),
    ("state_name", TEXT),
    ("is_canceled", FLAG, _NOT_NULL),
    ("pay_method", TEXT),
    ("pay_online", FLAG),
    ("customer_number", TEXT),
    ("total_amount", MONEY),
    ("shipping_fee", MONEY),
    ("order_remark", TEXT),
    ("contact_name", TEXT),
    ("contact_tel", TEXT),
    ("contact_address", TEXT),
    ("day_seq", TEXT),
    ("delivery_type", INT),
    ("order_source", TEXT),
    ("reservation_time", TIME),
    ("dinners_number", INT),
    ("restaurant_area_name", TEXT),
    ("restaurant_table_name", TEXT),
    ("item_count", INT, _NOT_NULL),
)

ORDER_ITEMS = _schema(
    ACCOUNT,
    ("order_no", TEXT, _NOT_NULL),
    LINE_NO,
    BUSINESS_DATE,
    ("product_uid", ID),
    ("product_name", TEXT),
    ("product_barcode", TEXT),
    ("product_quantity", QUANTITY),
    ("eshop_sell_price", PRICE),
    ("product_buy_price", PRICE),
    ("product_sell_price", PRICE),
    ("customer_price", PRICE),
    ("customer_discount", PERCENT),
    ("is_customer_discount", FLAG),
    ("promotion_rule_uid", ID),
    ("comment", TEXT),
)

CUSTOMER_TICKETS = _schema(
    ACCOUNT,
    ("customer_uid", ID, _NOT_NULL),
    ("store", TEXT, _NOT_NULL),
    SN,
    BUSINESS_DATE,
    *_TICKET_FACTS,
)

PAY_METHODS = _schema(
    ACCOUNT,
    ("code", TEXT, _NOT_NULL),
    ("name", TEXT),
    ("show_name", TEXT),
    ("is_enabled", FLAG),
)

UTC_TIME = pa.timestamp("us", tz="UTC")

PUSH_EVENTS = _schema(
    ACCOUNT,
    ("dedupe_key", TEXT, _NOT_NULL),
    BUSINESS_DATE,
    ("app_id", TEXT, _NOT_NULL),
    ("cmd", TEXT, _NOT_NULL),
    ("version", TEXT),
    ("born_at", TIME, _NOT_NULL),
    ("pushed_at", TIME, _NOT_NULL),
    ("born_ms", ID, _NOT_NULL),
    ("sn", TEXT),
    ("uid", ID),
    ("ticket_type", INT),
    ("order_no", TEXT),
    ("order_state", INT),
    ("customer_uid", ID),
    ("stock_flow_id", ID),
    ("body", TEXT, _NOT_NULL),
    ("deliveries", INT, _NOT_NULL),
    ("first_received_at", UTC_TIME, _NOT_NULL),
    ("last_received_at", UTC_TIME, _NOT_NULL),
    ("refresh", TEXT, _NOT_NULL),
    ("refresh_status", TEXT, _NOT_NULL),
    ("refreshed_at", UTC_TIME),
    ("refresh_note", TEXT),
)

TICKET_SCHEMAS: dict[str, pa.Schema] = {
    "tickets": TICKETS,
    "ticket_items": TICKET_ITEMS,
    "ticket_item_attributes": TICKET_ITEM_ATTRIBUTES,
    "ticket_payments": TICKET_PAYMENTS,
    "refund_links": REFUND_LINKS,
}
"""Tables of one ticket flatten, by unqualified name, always all present."""

ORDER_SCHEMAS: dict[str, pa.Schema] = {"orders": ORDERS, "order_items": ORDER_ITEMS}
CUSTOMER_TICKET_SCHEMAS: dict[str, pa.Schema] = {"customer_tickets": CUSTOMER_TICKETS}
PAY_METHOD_SCHEMAS: dict[str, pa.Schema] = {"pay_methods": PAY_METHODS}
PUSH_EVENT_SCHEMAS: dict[str, pa.Schema] = {"push_events": PUSH_EVENTS}

POSPAL_SCHEMAS: dict[str, pa.Schema] = (
    TICKET_SCHEMAS
    | ORDER_SCHEMAS
    | CUSTOMER_TICKET_SCHEMAS
    | PAY_METHOD_SCHEMAS
    | PUSH_EVENT_SCHEMAS
)
"""Every Pospal table, by unqualified name."""


def _q(table: str) -> str:
    return f"{SCHEMA}.{table}"


ACCOUNT_FILES = "account"
"""Dated Pospal tables keep one lake file per account in each date folder: a nightly run is one
account-day, and rewriting every store's file of the date in each would grow with the square of
the stores (see :mod:`etl.warehouse.lake`; sql/ddl/003_meta_lake_dirty.sql moves older marks)."""

TICKETS_ENTITY = EntitySpec(
    _q("tickets"),
    key=("account", "sn"),
    # No version: a re-checkout (反结账) changes a ticket in place with the same sn and uid and
    # the answer carries no revision or change time, so the latest load wins (in a batch, the
    # later record). Re-pulling recent days is what keeps tickets current.
    version=(),
    children=tuple(
        _q(t) for t in ("ticket_items", "ticket_item_attributes", "ticket_payments", "refund_links")
    ),
    file_column=ACCOUNT_FILES,
)
"""One row per (account, sn); its items, attributes, payments and refund link replaced with it."""

ORDERS_ENTITY = EntitySpec(
    _q("orders"),
    key=("account", "order_no"),
    # No version: the document gives no change time (orderDateTime is the creation time) and
    # state codes are not monotonic (3 canceled, 4 completed, 5 accepted, 8 dispatching), so
    # the latest load wins.
    version=(),
    children=(_q("order_items"),),
    file_column=ACCOUNT_FILES,
)
"""One row per (account, order_no); its items replaced with it."""

CUSTOMER_TICKETS_ENTITY = EntitySpec(
    _q("customer_tickets"), key=("customer_uid", "store", "sn"), file_column=ACCOUNT_FILES
)
"""One row per member and ticket across stores; the latest load wins."""

PAY_METHODS_ENTITY = EntitySpec(_q("pay_methods"), key=("account", "code"), partition_column=None)
"""One row per account and payment code; the latest ``queryAllPayMethod`` load wins."""

PUSH_EVENTS_ENTITY = EntitySpec(_q("push_events"), key=("dedupe_key",), file_column=ACCOUNT_FILES)
"""One row per pushed business event (its dedupe key); the latest export wins."""

POSPAL_ENTITIES: tuple[EntitySpec, ...] = (
    PAY_METHODS_ENTITY,
    TICKETS_ENTITY,
    ORDERS_ENTITY,
    CUSTOMER_TICKETS_ENTITY,
    PUSH_EVENTS_ENTITY,
)
"""Every Pospal entity, in load order."""
