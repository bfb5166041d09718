"""The QianHub target tables as Arrow schemas, and how each entity is upserted.

Each schema lists the columns of ``sql/ddl/1NN_qianhub_<table>.sql`` in order, without the
lineage columns the warehouse adds, plus :data:`etl.batch.REC`. Types mirror the DDL: ids
``BIGINT`` -> int64, vendor ``Int``s ``INTEGER`` -> int32, money ``decimal128(18,2)``,
quantities ``decimal128(18,3)``, shop-local times naive ``timestamp[us]``. Columns declared
``NOT NULL`` in the DDL (keys and ``business_date``) are non-nullable here; a test keeps the two
in step.
"""

from __future__ import annotations

import pyarrow as pa

from etl.batch import REC, EntitySpec

SCHEMA = "qianhub"

ID = pa.int64()
INT = pa.int32()
TEXT = pa.string()
MONEY = pa.decimal128(18, 2)
QUANTITY = pa.decimal128(18, 3)
DATE = pa.date32()
TIME = pa.timestamp("us")
TAGS = pa.list_(pa.string())


def _schema(*columns: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> pa.Schema:
    """Fields from ``(name, type[, nullable])``, then the non-null ``_rec`` ordinal."""
    fields = [pa.field(c[0], c[1], nullable=c[2] if len(c) == 3 else True) for c in columns]
    return pa.schema([*fields, pa.field(REC, pa.int64(), nullable=False)])


_NOT_NULL = False  # the third item of a column: nullable

SHOPS = _schema(
    ("shop_id", ID, _NOT_NULL),
    ("brand_id", ID),
    ("brand_name", TEXT),
    ("sn", TEXT),
    ("shop_name", TEXT),
    ("shop_address", TEXT),
    ("shop_contact", TEXT),
    ("business_on", DATE),
    ("latest_business_day", DATE),
    ("create_on", TIME),
)

BILLS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("sn", TEXT),
    ("brand_id", ID),
    ("brand_name", TEXT),
    ("shop_name", TEXT),
    ("staff_id", ID),
    ("staff_name", TEXT),
    ("amount", MONEY),
    ("real_amount", MONEY),
    ("goods_amount", MONEY),
    ("order_amount", MONEY),
    ("paid", MONEY),
    ("surcharge", MONEY),
    ("mincharge", MONEY),
    ("discount", MONEY),
    ("promotion", MONEY),
    ("rounding", MONEY),
    ("cashier_staff_id", ID),
    ("cashier_staff_name", TEXT),
    ("undo_index", INT, _NOT_NULL),
    ("create_on", TIME),
    ("cashier_on", TIME, _NOT_NULL),
)

BILL_ORDERS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("order_id", ID, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("order_name", TEXT),
    ("order_sn", TEXT),
    ("person_count", INT),
    ("table_id", ID),
    ("order_amount", MONEY),
    ("goods_amount", MONEY),
    ("surcharge", MONEY),
    ("mincharge", MONEY),
    ("discount", MONEY),
    ("promotion", MONEY),
    ("voucher", MONEY),
)

BILL_DETAILS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("order_id", ID, _NOT_NULL),
    ("detail_id", ID, _NOT_NULL),
    ("parent_detail_id", ID),
    ("root_detail_id", ID, _NOT_NULL),
    ("depth", INT, _NOT_NULL),
    ("path", TEXT, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("goods_id", ID),
    ("goods_name", TEXT),
    ("goods_sn", TEXT),
    ("product_type_id", INT),
    ("product_type_name", TEXT),
    ("goods_group_id", ID),
    ("goods_group_name", TEXT),
    ("goods_group_sn", TEXT),
    ("goods_subgroup_id", ID),
    ("goods_subgroup_name", TEXT),
    ("goods_subgroup_sn", TEXT),
    ("unit_type_id", ID),
    ("unit_type_name", TEXT),
    ("tags", TAGS),
    ("origin_price", MONEY),
    ("current_price", MONEY),
    ("real_amount", MONEY),
    ("quantity", QUANTITY),
    ("void_quantity", QUANTITY),
    ("weight", QUANTITY),
    ("staff_id", ID),
    ("staff_name", TEXT),
    ("remark", TEXT),
)

BILL_PAYMENTS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("payment_type_id", INT),
    ("payment_type_name", TEXT),
    ("payment_type_sn", TEXT),
    ("value", MONEY),
    ("change", MONEY),
    ("unreal", MONEY),
)

BILL_PROMOTIONS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("promotion_id", ID),
    ("promotion_name", TEXT),
    ("promotion_type_id", INT),
    ("promotion_type_name", TEXT),
    ("value", MONEY),
)

BILL_DISCOUNTS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("discount_id", ID),
    ("discount_name", TEXT),
    ("value", MONEY),
)

HANDOVER_STATS = _schema(
    ("shop_id", ID, _NOT_NULL),
    ("staff_id", ID, _NOT_NULL),
    ("create_on", TIME, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("staff_name", TEXT),
)

_LINE_COLUMNS: tuple[tuple[str, pa.DataType] | tuple[str, pa.DataType, bool], ...] = (
    ("section", TEXT, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("parent_line_no", INT),
    ("depth", INT, _NOT_NULL),
    ("key", TEXT),
    ("item", TEXT),
    ("value_text", TEXT),
    ("count", QUANTITY),
    ("amount", MONEY),
)

HANDOVER_STAT_LINES = _schema(
    ("shop_id", ID, _NOT_NULL),
    ("staff_id", ID, _NOT_NULL),
    ("create_on", TIME, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    *_LINE_COLUMNS,
)

DAYEND_STATS = _schema(
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("staff_id", ID),
    ("staff_name", TEXT),
    ("create_on", TIME, _NOT_NULL),
)

DAYEND_STAT_LINES = _schema(
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    *_LINE_COLUMNS,
)

BILL_VERSIONS = _schema(
    ("bill_id", ID, _NOT_NULL),
    ("undo_index", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("sn", TEXT),
    ("cashier_on", TIME, _NOT_NULL),
    ("amount", MONEY),
    ("real_amount", MONEY),
    ("paid", MONEY),
    ("discount", MONEY),
    ("promotion", MONEY),
    ("rounding", MONEY),
)

DELIVERY_ORDERS = _schema(
    ("order_id", ID, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("sn", TEXT),
    ("channel", TEXT),
    ("channel_name", TEXT),
    ("channel_order", TEXT),
    ("order_state", TEXT),
    ("state_rank", INT, _NOT_NULL),
    ("is_canceled", pa.bool_(), _NOT_NULL),
    ("pay_state", TEXT),
    ("ship_type", TEXT),
    ("guest_count", INT),
    ("amount", MONEY),
    ("goods_amount", MONEY),
    ("box_amount", MONEY),
    ("ship_fee", MONEY),
    ("channel_share", MONEY),
    ("channel_promotion", MONEY),
    ("partner_promotion", MONEY),
    ("partner_ship_fee", MONEY),
    ("partner_receive", MONEY),
    ("online_paid", MONEY),
    ("pick_type", TEXT),
    ("has_invoice", pa.bool_()),
    ("partner", TEXT),
    ("partner_mch", TEXT),
    ("channel_mch", TEXT),
    ("item_count", INT, _NOT_NULL),
    ("created_on", TIME, _NOT_NULL),
)

DELIVERY_ORDER_ITEMS = _schema(
    ("order_id", ID, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("item_id", ID),
    ("channel_goods", TEXT),
    ("channel_goods_name", TEXT),
    ("partner_goods", ID),
    ("partner_goods_name", TEXT),
    ("partner_goods_sn", TEXT),
    ("is_mapped", pa.bool_(), _NOT_NULL),
    ("unit_name", TEXT),
    ("price", MONEY),
    ("quantity", QUANTITY),
    ("box_price", MONEY),
    ("box_quantity", QUANTITY),
    ("bag_name", TEXT),
    ("created_on", TIME),
)

DELIVERY_ORDER_PROMOTIONS = _schema(
    ("order_id", ID, _NOT_NULL),
    ("line_no", INT, _NOT_NULL),
    ("shop_id", ID, _NOT_NULL),
    ("business_date", DATE, _NOT_NULL),
    ("name", TEXT),
    ("amount", MONEY),
    ("promotion_json", TEXT, _NOT_NULL),
)

BATCH_SCHEMAS: dict[str, pa.Schema] = {
    "bills": BILLS,
    "bill_versions": BILL_VERSIONS,
    "bill_orders": BILL_ORDERS,
    "bill_details": BILL_DETAILS,
    "bill_payments": BILL_PAYMENTS,
    "bill_promotions": BILL_PROMOTIONS,
    "bill_discounts": BILL_DISCOUNTS,
    "handover_stats": HANDOVER_STATS,
    "handover_stat_lines": HANDOVER_STAT_LINES,
    "dayend_stats": DAYEND_STATS,
    "dayend_stat_lines": DAYEND_STAT_LINES,
    "delivery_orders": DELIVERY_ORDERS,
    "delivery_order_items": DELIVERY_ORDER_ITEMS,
    "delivery_order_promotions": DELIVERY_ORDER_PROMOTIONS,
}
"""Tables of one ``batch-query`` flatten, by unqualified name, always all present."""

SHOP_SCHEMAS: dict[str, pa.Schema] = {"shops": SHOPS}
"""Tables of one ``list-shop`` flatten."""


def _q(table: str) -> str:
    return f"{SCHEMA}.{table}"


SHOPS_ENTITY = EntitySpec(_q("shops"), key=("shop_id",), partition_column=None)
"""One row per shop; the latest ``list-shop`` load wins."""

BILLS_ENTITY = EntitySpec(
    _q("bills"),
    key=("bill_id",),
    # A re-checkout re-emits the bill_id with undo_index + 1; cashier_on breaks ties.
    version=("undo_index", "cashier_on"),
    children=tuple(
        _q(t)
        for t in (
            "bill_orders",
            "bill_details",
            "bill_payments",
            "bill_promotions",
            "bill_discounts",
        )
    ),
)
"""One row per bill_id, latest version; its orders, details and lines replaced with it."""

BILL_VERSIONS_ENTITY = EntitySpec(
    _q("bill_versions"),
    key=("bill_id", "undo_index"),
    version=("cashier_on",),
)
"""One row per bill version ever loaded (never deleted by a later version), for the
re-checkout audit: ``bills`` keeps only the latest."""

HANDOVER_STATS_ENTITY = EntitySpec(
    _q("handover_stats"),
    key=("shop_id", "staff_id", "create_on"),
    version=("create_on",),
    children=(_q("handover_stat_lines"),),
)
"""One row per handover report (shop, staff, time); its lines replaced with it."""

DAYEND_STATS_ENTITY = EntitySpec(
    _q("dayend_stats"),
    key=("shop_id", "business_date"),
    # The day-end can be re-run; the latest report of the day wins.
    version=("create_on",),
    children=(_q("dayend_stat_lines"),),
)
"""One row per shop and business day; its lines replaced with it."""

DELIVERY_ORDERS_ENTITY = EntitySpec(
    _q("delivery_orders"),
    key=("order_id",),
    # Each state change is re-sent as a new record; records carry no update time, so the
    # state's place in the order's life decides (ties: the later record or load).
    version=("state_rank",),
    children=(_q("delivery_order_items"), _q("delivery_order_promotions")),
)
"""One row per delivery order, latest state; its items and promotions replaced with it."""

QIANHUB_ENTITIES: tuple[EntitySpec, ...] = (
    SHOPS_ENTITY,
    BILLS_ENTITY,
    BILL_VERSIONS_ENTITY,
    HANDOVER_STATS_ENTITY,
    DAYEND_STATS_ENTITY,
    DELIVERY_ORDERS_ENTITY,
)

BATCH_ENTITIES: tuple[EntitySpec, ...] = (
    BILLS_ENTITY,
    BILL_VERSIONS_ENTITY,
    HANDOVER_STATS_ENTITY,
    DAYEND_STATS_ENTITY,
    DELIVERY_ORDERS_ENTITY,
)
"""The entities of a ``batch-query`` flatten, in upsert order."""
