"""The fast path for ``cashier.finish`` bills: columns built in bulk, values checked in bulk.

Same grain, columns and values as the reference flattener (:mod:`etl.flatten.qianhub_bills`,
one record at a time, every value through :mod:`etl.flatten.decimals`); a test holds the two
equal on a generated world with every nesting and re-checkout case. What differs is how:

* A record is decoded by msgspec straight into typed Structs whose money and quantity fields
  are ``float`` -- no Python object per JSON number. Ids stay ``int`` (exact, bounded to int64).
* Rows are not built one tuple at a time: the bill tree is walked once to collect its nodes, and
  each column is then one list comprehension and one ``pa.array`` call.
* Money becomes ``DECIMAL(18,2)`` with one Arrow cast per column. A double is the JSON text
  rounded to 53 bits, so the cast is only trusted where the answer cannot depend on that
  rounding: magnitude below 1e9 (a double's spacing there is at most 1.2e-7) and a distance to
  the rounded value below :data:`TRUSTED_NOISE` (5e-7, half the reference's 1e-6 noise bound).
  Any other value -- a real third decimal, a huge number, a borderline noise -- sends its record
  to the reference flattener, which decides exactly from the text.
* Times are parsed with one ``strptime`` per column; a value that is not exactly
  ``yyyy-MM-dd HH:mm:ss`` with zero padding goes to the reference (which also accepts the
  unpadded form and names the field when it rejects).

Whatever the fast path cannot vouch for -- a record that is not a bill, fails a Struct type,
has no shop in its envelope (``shop_id``, or the ``shop_<n>`` variant read by the reference's
own rule), repeats an id, nests deeper than the limit, or trips a bulk check -- is returned to
the caller for the reference flattener, so rejects and their reasons are the reference's own.
Nothing is decided twice and nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.qianhub_bills import MAX_DEPTH
from etl.flatten.qianhub_envelope import ENVELOPE_FIELDS, envelope_shop
from etl.flatten.qianhub_tables import (
    BILL_DETAILS,
    BILL_DISCOUNTS,
    BILL_ORDERS,
    BILL_PAYMENTS,
    BILL_PROMOTIONS,
    BILL_VERSIONS,
    BILLS,
    MONEY,
    QUANTITY,
)
from etl.qianhub.models import NULL, Code, Goods, Int32, Int64

TRUSTED_NOISE = 5e-7
"""Largest distance between a double and its rounded decimal the fast path accepts itself."""
TRUSTED_MAGNITUDE = 1e9
"""Largest magnitude the fast path converts itself (a double's spacing stays below 1.2e-7)."""

_PADDED_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Fast(msgspec.Struct, kw_only=True, gc=False):
    """Base: keyword-only, untracked by the GC (decoded, read once, dropped)."""


class _Detail(_Fast):
    detail_id: Int64
    goods: msgspec.Raw = NULL  # decoded once per distinct dish (see _Collector.goods_of)
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
    children: list[_Detail] | None = None


class _Order(_Fast):
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
    details: list[_Detail] | None = None


class _Payment(_Fast):
    payment_type_id: Int32 | None = None
    payment_type_name: str | None = None
    payment_type_sn: Code | None = None
    value: float | None = None
    change: float | None = None
    unreal: float | None = None


class _Promotion(_Fast):
    promotion_id: Int64 | None = None
    promotion_name: str | None = None
    promotion_type_id: Int32 | None = None
    promotion_type_name: str | None = None
    value: float | None = None


class _Discount(_Fast):
    discount_id: Int64 | None = None
    discount_name: str | None = None
    value: float | None = None


class _Bill(_Fast):
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
    orders: list[_Order] | None = None
    payments: list[_Payment] | None = None
    promotions: list[_Promotion] | None = None
    discounts: list[_Discount] | None = None
    create_on: str | None = None


class _Record(_Fast):
    """A ``cashier.finish`` record whose envelope names its shop as ``shop_id``; any other
    shape (the ``shop_<n>`` key, another ``boh_type``) fails to decode and takes the reference
    path."""

    boh_type: Literal["cashier.finish"]
    json: _Bill
    shop_id: Int64 | None = None
    staff_id: Int64 | None = None
    staff_name: str | None = None
    create_on: str | None = None


_RECORD = msgspec.json.Decoder(_Record)
_GOODS = msgspec.json.Decoder(Goods | None)
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError)


class _Miss(Exception):
    """This record is for the reference flattener."""


@dataclass
class FastBills:
    """Bills the fast path flattened, and the records it hands back to the reference."""

    tables: dict[str, pa.Table]
    others: list[int] = field(default_factory=list)
    """Ordinals (``_rec``) of records to flatten with the reference, ascending."""


def _code(values: Sequence[Code | None]) -> list[str | None]:
    return [v if v is None or v.__class__ is str else str(v) for v in values]


_DetailRow = tuple[_Detail, int, int, int | None, int, int, str, int]
"""(node, bill index, order_id, parent_detail_id, root_detail_id, depth, path, line_no)."""


class _Collector:
    """The Structs of every bill taken, with the context the walk computes, as rows of tuples
    (transposed into columns once, by ``zip``)."""

    def __init__(self) -> None:
        self.bills: list[_Bill] = []
        self.records: list[_Record] = []
        self.recs: list[int] = []
        self.shops: list[int] = []
        self.orders: list[tuple[_Order, int, int]] = []  # (order, bill index, line_no)
        self.details: list[_DetailRow] = []
        self.detail_goods: list[int] = []  # index into self.goods
        # A shop sells a few hundred dishes, repeated in every bill: each distinct ``goods``
        # text is decoded once, and its columns are built once and repeated by index.
        self.goods: list[Goods] = [Goods()]  # 0: no goods (null or absent)
        self._goods_index: dict[bytes, int] = {b"null": 0}
        self.payments: list[tuple[_Payment, int, int]] = []
        self.promotions: list[tuple[_Promotion, int, int]] = []
        self.discounts: list[tuple[_Discount, int, int]] = []

    def add(self, rec: int, record: _Record) -> None:
        """Collect one record, or raise :class:`_Miss` leaving nothing collected."""
        bill = record.json
        shop_id = record.shop_id
        if shop_id is None or (bill.shop_id is not None and bill.shop_id != shop_id):
            raise _Miss
        index = len(self.bills)
        orders = bill.orders or ()
        nodes: list[_DetailRow] = []
        for order in orders:
            if order.details:
                _walk(order.details, index, order.order_id, None, 0, nodes)
        if len({o.order_id for o in orders}) != len(orders):
            raise _Miss
        if len({n[0].detail_id for n in nodes}) != len(nodes):
            raise _Miss
        goods = [self.goods_of(bytes(node[0].goods)) for node in nodes]
        # Nothing is appended above this line: a _Miss leaves no trace of the record.
        self.bills.append(bill)
        self.records.append(record)
        self.recs.append(rec)
        self.shops.append(shop_id)
        self.orders += [(order, index, n) for n, order in enumerate(orders)]
        self.details += nodes
        self.detail_goods += goods
        if bill.payments:
            self.payments += [(line, index, n) for n, line in enumerate(bill.payments)]
        if bill.promotions:
            self.promotions += [(line, index, n) for n, line in enumerate(bill.promotions)]
        if bill.discounts:
            self.discounts += [(line, index, n) for n, line in enumerate(bill.discounts)]

    def goods_of(self, text: bytes) -> int:
        """Index of a detail's ``goods`` in :attr:`goods`; :class:`_Miss` when it is not a
        valid goods object (the reference then names the field)."""
        index = self._goods_index.get(text)
        if index is None:
            try:
                goods = _GOODS.decode(text)
            except _DECODE_ERRORS:
                raise _Miss from None
            index = len(self.goods)
            self.goods.append(goods or Goods())
            self._goods_index[text] = index
        return index


def _walk(
    nodes: list[_Detail],
    index: int,
    order_id: int,
    parent: tuple[int, int, str] | None,
    depth: int,
    out: list[_DetailRow],
) -> None:
    """Append ``nodes`` and their descendants in pre-order, as the reference does."""
    if depth > MAX_DEPTH:
        raise _Miss
    for line_no, node in enumerate(nodes):
        detail_id = node.detail_id
        if parent is None:
            path = str(detail_id)
            out.append((node, index, order_id, None, detail_id, 0, path, line_no))
            here = (detail_id, detail_id, path)
        else:
            path = f"{parent[2]}/{detail_id}"
            out.append((node, index, order_id, parent[0], parent[1], depth, path, line_no))
            here = (detail_id, parent[1], path)
        if node.children:
            _walk(node.children, index, order_id, here, depth + 1, out)


def flatten_fast(records: list[tuple[int, msgspec.Raw]], rule: BusinessDayRule) -> FastBills:
    """Flatten the bills among ``records`` (``(_rec, raw)`` pairs) into the seven bill tables.

    Every record not flattened here is listed in :attr:`FastBills.others`.
    """
    with _no_gc():
        collected = _Collector()
        others: list[int] = []
        for rec, raw in records:
            try:
                record = _RECORD.decode(raw)
                if record.shop_id is None:
                    record.shop_id = _variant_shop(raw)
                collected.add(rec, record)
            except (_Miss, *_DECODE_ERRORS):
                others.append(rec)
        tables, bad = _tables(collected, rule)
        # Freed by reference counting while the collector is still off, so that turning it
        # back on does not start a collection over objects already dead.
        del collected
    if bad:
        tables = {name: _drop(table, bad) for name, table in tables.items()}
        others = sorted({*others, *bad})
    return FastBills(tables=tables, others=others)


def _variant_shop(raw: msgspec.Raw) -> int:
    """The shop of an envelope without ``shop_id``: the document's ``"shop_<n>": n`` key, read
    by the reference's own rule; :class:`_Miss` for anything else (no key, ``shop_id: null``,
    several keys, a key that disagrees with its value)."""
    try:
        fields = ENVELOPE_FIELDS.decode(raw)
        shop_id = None if "shop_id" in fields else envelope_shop(fields)
    except (RecordError, *_DECODE_ERRORS):
        raise _Miss from None
    if shop_id is None:
        raise _Miss
    return shop_id


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is collected.

    A batch allocates hundreds of thousands of tuples and lists that live until its tables are
    built; every allocation burst would otherwise start a collection that walks them all again
    (about a third of the fast path's time). Nothing here forms a cycle, so nothing is leaked;
    the collector is restored (if it was on) when the batch is done.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _drop(table: pa.Table, bad: set[int]) -> pa.Table:
    mask = pc.invert(pc.is_in(table.column(REC), pa.array(sorted(bad), pa.int64())))
    return table.filter(mask)


class _Checks:
    """Records (``_rec``) some bulk check could not vouch for."""

    def __init__(self) -> None:
        self.bad: set[int] = set()

    def flag(self, mask: pa.Array, recs: pa.Array) -> None:
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            self.bad.update(pc.filter(recs, mask).to_pylist())

    def decimal(self, values: list[float | None], recs: pa.Array, scale: int) -> pa.Array:
        """``DECIMAL(18, scale)`` of doubles; untrusted values flag their record."""
        floats = pa.array(values, pa.float64())
        size = pc.abs(floats)
        trusted_size = pc.less(size, TRUSTED_MAGNITUDE)
        safe = pc.if_else(trusted_size, floats, 0.0)
        decimals = pc.cast(safe, MONEY if scale == 2 else QUANTITY, safe=False)
        noise = pc.abs(pc.subtract(safe, pc.cast(decimals, pa.float64())))
        self.flag(pc.or_(pc.invert(trusted_size), pc.greater_equal(noise, TRUSTED_NOISE)), recs)
        return decimals

    def time(self, values: list[str | None], recs: pa.Array) -> pa.Array:
        """Naive shop-local ``timestamp[us]`` of padded ``yyyy-MM-dd HH:mm:ss`` text.

        Arrow's ``strptime`` rolls impossible dates over (Feb 30 becomes Mar 2), so a time is
        only trusted when it prints back as the text it came from."""
        texts = pa.array(values, pa.string())
        padded = pc.match_substring_regex(texts, _PADDED_TIME)
        times = pc.strptime(texts, _TIME_FORMAT, "us", error_is_null=True)
        # (in whole seconds: Arrow's %S prints a timestamp[us] with six decimals)
        printed = pc.strftime(pc.cast(times, pa.timestamp("s")), _TIME_FORMAT)
        same = pc.equal(printed, texts)
        failed = pc.or_(pc.invert(padded), pc.invert(pc.fill_null(same, False)))
        self.flag(pc.and_(pc.is_valid(texts), failed), recs)
        return times


_MONEY = (
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
    "voucher",
)
_BILL_COLUMNS: dict[str, str] = {
    "sn": "code",
    "brand_id": "id",
    "brand_name": "text",
    "shop_name": "text",
    "cashier_staff_id": "id",
    "cashier_staff_name": "text",
    **dict.fromkeys(_MONEY[:10], "money"),
}
_ORDER_COLUMNS: dict[str, str] = {
    "order_id": "id",
    "order_name": "text",
    "order_sn": "code",
    "person_count": "int",
    "table_id": "id",
    **dict.fromkeys(("order_amount", "goods_amount", "surcharge", "mincharge"), "money"),
    **dict.fromkeys(("discount", "promotion", "voucher"), "money"),
}
_DETAIL_COLUMNS: dict[str, str] = {
    "detail_id": "id",
    "tags": "tags",
    "staff_id": "id",
    "staff_name": "text",
    "remark": "text",
    **dict.fromkeys(("origin_price", "current_price", "real_amount"), "money"),
    **dict.fromkeys(("quantity", "void_quantity", "weight"), "quantity"),
}
_GOODS_COLUMNS: dict[str, str] = {
    "goods_id": "id",
    "goods_name": "text",
    "goods_sn": "code",
    "product_type_id": "int",
    "product_type_name": "text",
    "goods_group_id": "id",
    "goods_group_name": "text",
    "goods_group_sn": "code",
    "goods_subgroup_id": "id",
    "goods_subgroup_name": "text",
    "goods_subgroup_sn": "code",
    "unit_type_id": "id",
    "unit_type_name": "text",
}
_PAYMENT_COLUMNS: dict[str, str] = {
    "payment_type_id": "int",
    "payment_type_name": "text",
    "payment_type_sn": "code",
    "value": "money",
    "change": "money",
    "unreal": "money",
}
_PROMOTION_COLUMNS: dict[str, str] = {
    "promotion_id": "id",
    "promotion_name": "text",
    "promotion_type_id": "int",
    "promotion_type_name": "text",
    "value": "money",
}
_DISCOUNT_COLUMNS: dict[str, str] = {"discount_id": "id", "discount_name": "text", "value": "money"}
_TYPES: dict[str, pa.DataType] = {
    "id": pa.int64(),
    "int": pa.int32(),
    "text": pa.string(),
    "tags": BILL_DETAILS.field("tags").type,
}


def _tables(c: _Collector, rule: BusinessDayRule) -> tuple[dict[str, pa.Table], set[int]]:
    """The seven bill tables of everything collected, and the records a check could not
    vouch for (still in the tables; the caller drops them)."""
    checks = _Checks()
    recs = pa.array(c.recs, pa.int64())
    bills, records = c.bills, c.records
    cashier_on = checks.time(list(map(attrgetter("cashier_on"), bills)), recs)
    start = dt.timedelta(hours=rule.start.hour, minutes=rule.start.minute)
    # The business day of a shop-local time t is the calendar date of t - start.
    dates = pc.cast(pc.subtract(cashier_on, pa.scalar(start, pa.duration("us"))), pa.date32())
    head = {
        "bill_id": pa.array(list(map(attrgetter("bill_id"), bills)), pa.int64()),
        "shop_id": pa.array(c.shops, pa.int64()),
        "business_date": dates,
        "staff_id": pa.array(list(map(attrgetter("staff_id"), records)), pa.int64()),
        "staff_name": pa.array(list(map(attrgetter("staff_name"), records)), pa.string()),
        "undo_index": pa.array([b.undo_index or 0 for b in bills], pa.int32()),
        "create_on": checks.time(list(map(attrgetter("create_on"), bills)), recs),
        "cashier_on": cashier_on,
        REC: recs,
        **_columns(bills, _BILL_COLUMNS, checks, recs),
    }
    tables = {"bills": _table(BILLS, head), "bill_versions": _table(BILL_VERSIONS, head)}
    orders, order_bill, order_line = _transpose(c.orders, 3)
    tables["bill_orders"] = _child(
        BILL_ORDERS, head, order_bill, order_line, checks, ((orders, _ORDER_COLUMNS),)
    )
    details, bill, order_id, parent, root, depth, path, line = _transpose(c.details, 8)
    tree = {
        "order_id": pa.array(order_id, pa.int64()),
        "parent_detail_id": pa.array(parent, pa.int64()),
        "root_detail_id": pa.array(root, pa.int64()),
        "depth": pa.array(depth, pa.int32()),
        "path": pa.array(path, pa.string()),
    }
    goods = pa.array(c.detail_goods, pa.int32())
    for name, column in _columns(c.goods, _GOODS_COLUMNS, checks, recs).items():
        tree[name] = pc.take(column, goods)  # goods have no money: nothing to check
    sources = ((details, _DETAIL_COLUMNS),)
    tables["bill_details"] = _child(BILL_DETAILS, head, bill, line, checks, sources, tree)
    for name, schema, rows, kinds in (
        ("bill_payments", BILL_PAYMENTS, c.payments, _PAYMENT_COLUMNS),
        ("bill_promotions", BILL_PROMOTIONS, c.promotions, _PROMOTION_COLUMNS),
        ("bill_discounts", BILL_DISCOUNTS, c.discounts, _DISCOUNT_COLUMNS),
    ):
        items, item_bill, item_line = _transpose(rows, 3)
        tables[name] = _child(schema, head, item_bill, item_line, checks, ((items, kinds),))
    return tables, checks.bad


def _transpose(rows: list[Any], width: int) -> list[Sequence[Any]]:
    """Columns of ``rows`` (tuples of ``width``); empty ones when there are no rows."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _table(schema: pa.Schema, columns: dict[str, pa.Array]) -> pa.Table:
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def _child(
    schema: pa.Schema,
    head: dict[str, pa.Array],
    bill_index: Sequence[int],
    line_no: Sequence[int],
    checks: _Checks,
    sources: tuple[tuple[Sequence[Any], dict[str, str]], ...],
    tree: dict[str, pa.Array] | None = None,
) -> pa.Table:
    """A child table: the bill columns every row repeats, ``line_no``, the columns of each
    ``(items, kinds)`` source and, for details, the ``tree`` columns."""
    take = pa.array(bill_index, pa.int64())
    repeated = ("bill_id", "shop_id", "business_date", REC)
    columns = {name: pc.take(head[name], take) for name in repeated}
    columns["line_no"] = pa.array(line_no, pa.int32())
    for items, kinds in sources:
        columns |= _columns(items, kinds, checks, columns[REC])
    return _table(schema, columns | (tree or {}))


def _columns(
    items: Sequence[Any], kinds: dict[str, str], checks: _Checks, recs: pa.Array
) -> dict[str, pa.Array]:
    """One Arrow array per attribute of ``items``; money and quantities checked in bulk."""
    columns: dict[str, pa.Array] = {}
    for name, kind in kinds.items():
        values = list(map(attrgetter(name), items))
        if kind == "code":
            columns[name] = pa.array(_code(values), pa.string())
        elif kind == "money":
            columns[name] = checks.decimal(values, recs, 2)
        elif kind == "quantity":
            columns[name] = checks.decimal(values, recs, 3)
        elif kind == "tags":
            columns[name] = pa.array([v or [] for v in values], _TYPES[kind])
        else:
            columns[name] = pa.array(values, _TYPES[kind])
    return columns
