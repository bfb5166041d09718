"""The fast path for ``cashier.finish`` bills: columns built in bulk, values checked in bulk.

Same grain, columns and values as the reference flattener (:mod:`etl.flatten.qianhub_bills`,
one record at a time, every value through :mod:`etl.flatten.decimals`); a test holds the two
equal on a generated world with every nesting and re-checkout case. What differs is how:

* A record is decoded by msgspec straight into the typed Structs of
  :mod:`etl.flatten.qianhub_fast_models`, money and quantities as ``float`` -- no Python
  object per JSON number. Ids stay ``int`` (exact, bounded to int64).
* Rows are not built one tuple at a time: the bill tree is walked once to collect its nodes,
  each column is then one ``pa.array`` call, and each distinct dish is decoded once.
* Money, quantities and times are converted a column at a time and only kept where the
  conversion is provably exact (:mod:`etl.flatten.bulk`).

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
from typing import Any, cast

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.bulk import BulkChecks, kinds
from etl.flatten.qianhub_bills import MAX_DEPTH
from etl.flatten.qianhub_envelope import ENVELOPE_FIELDS, envelope_shop
from etl.flatten.qianhub_fast_models import (
    RECORD,
    FastBill,
    FastDetail,
    FastDiscount,
    FastOrder,
    FastPayment,
    FastPromotion,
    FastRecord,
)
from etl.flatten.qianhub_tables import (
    BILL_DETAILS,
    BILL_DISCOUNTS,
    BILL_ORDERS,
    BILL_PAYMENTS,
    BILL_PROMOTIONS,
    BILL_VERSIONS,
    BILLS,
)
from etl.qianhub.models import Goods

_GOODS = msgspec.json.Decoder(Goods | None)
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError)

# The columns each Struct gives, typed by the target schema; the bill's own key, shop, version
# and times are built apart (the shop comes from the envelope, the times are checked).
_BILL_KINDS = kinds(
    FastBill, BILLS, skip=("bill_id", "shop_id", "undo_index", "create_on", "cashier_on")
)
_ORDER_KINDS = kinds(FastOrder, BILL_ORDERS)
_DETAIL_KINDS = kinds(FastDetail, BILL_DETAILS)
_GOODS_KINDS = kinds(Goods, BILL_DETAILS)
_LINE_KINDS = {
    "bill_payments": (BILL_PAYMENTS, kinds(FastPayment, BILL_PAYMENTS)),
    "bill_promotions": (BILL_PROMOTIONS, kinds(FastPromotion, BILL_PROMOTIONS)),
    "bill_discounts": (BILL_DISCOUNTS, kinds(FastDiscount, BILL_DISCOUNTS)),
}


class _Miss(Exception):
    """This record is for the reference flattener."""


@dataclass
class FastBills:
    """Bills the fast path flattened, and the records it hands back to the reference."""

    tables: dict[str, pa.Table]
    others: list[int] = field(default_factory=list)
    """Ordinals (``_rec``) of records to flatten with the reference, ascending."""


_DetailRow = tuple[FastDetail, int, int, int | None, int, int, str, int]
"""(node, bill index, order_id, parent_detail_id, root_detail_id, depth, path, line_no)."""


class _Collector:
    """The Structs of every bill taken, with the context the walk computes, as rows of tuples
    (transposed into columns once, by ``zip``)."""

    def __init__(self) -> None:
        self.bills: list[FastBill] = []
        self.records: list[FastRecord] = []
        self.recs: list[int] = []
        self.shops: list[int] = []
        self.orders: list[tuple[FastOrder, int, int]] = []  # (order, bill index, line_no)
        self.details: list[_DetailRow] = []
        self.detail_goods: list[int] = []  # index into self.goods
        # A shop sells a few hundred dishes, repeated in every bill: each distinct ``goods``
        # text is decoded once, and its columns are built once and repeated by index.
        self.goods: list[Goods] = [Goods()]  # 0: no goods (null or absent)
        self._goods_index: dict[bytes, int] = {b"null": 0}
        self.payments: list[tuple[FastPayment, int, int]] = []
        self.promotions: list[tuple[FastPromotion, int, int]] = []
        self.discounts: list[tuple[FastDiscount, int, int]] = []

    def add(self, rec: int, record: FastRecord) -> None:
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
        known = self._goods_index.get  # dishes seen before: no call per detail
        seen = [known(bytes(node[0].goods)) for node in nodes]
        if None in seen:  # (index 0 is "no goods", not None)
            goods = [self.goods_of(bytes(node[0].goods)) for node in nodes]
        else:
            goods = cast(list[int], seen)
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
    nodes: list[FastDetail],
    index: int,
    order_id: int,
    parent: tuple[int, int, str] | None,
    depth: int,
    out: list[_DetailRow],
) -> None:
    """Append ``nodes`` and their descendants in pre-order, as the reference does."""
    if depth > MAX_DEPTH:
        raise _Miss
    if parent is None:
        for line_no, node in enumerate(nodes):
            detail_id = node.detail_id
            path = str(detail_id)
            out.append((node, index, order_id, None, detail_id, 0, path, line_no))
            if node.children:
                _walk(node.children, index, order_id, (detail_id, detail_id, path), 1, out)
        return
    parent_id, root_id, parent_path = parent
    for line_no, node in enumerate(nodes):
        detail_id = node.detail_id
        path = f"{parent_path}/{detail_id}"
        out.append((node, index, order_id, parent_id, root_id, depth, path, line_no))
        if node.children:
            _walk(node.children, index, order_id, (detail_id, root_id, path), depth + 1, out)


def flatten_fast(records: list[tuple[int, msgspec.Raw]], rule: BusinessDayRule) -> FastBills:
    """Flatten the bills among ``records`` (``(_rec, raw)`` pairs) into the seven bill tables.

    Every record not flattened here is listed in :attr:`FastBills.others`.
    """
    with _no_gc():
        collected = _Collector()
        others: list[int] = []
        for rec, raw in records:
            try:
                # The reference reads the envelope as a dict, whose keys must be UTF-8; a
                # Struct skips unknown keys unread. Text that is not UTF-8 anywhere: the
                # reference decides.
                bytes(raw).decode("utf-8")
                record = RECORD.decode(raw)
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


def _tables(c: _Collector, rule: BusinessDayRule) -> tuple[dict[str, pa.Table], set[int]]:
    """The seven bill tables of everything collected, and the records a check could not
    vouch for (still in the tables; the caller drops them)."""
    checks = BulkChecks()
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
        **checks.columns(bills, _BILL_KINDS, recs),
    }
    tables = {"bills": _table(BILLS, head), "bill_versions": _table(BILL_VERSIONS, head)}
    orders, order_bill, order_line = _transpose(c.orders, 3)
    tables["bill_orders"] = _child(
        BILL_ORDERS, head, order_bill, order_line, checks, ((orders, _ORDER_KINDS),)
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
    for name, column in checks.columns(c.goods, _GOODS_KINDS, recs).items():
        tree[name] = pc.take(column, goods)  # goods have no money: nothing to check
    sources = ((details, _DETAIL_KINDS),)
    tables["bill_details"] = _child(BILL_DETAILS, head, bill, line, checks, sources, tree)
    for name, rows in (
        ("bill_payments", c.payments),
        ("bill_promotions", c.promotions),
        ("bill_discounts", c.discounts),
    ):
        schema, line_kinds = _LINE_KINDS[name]
        items, item_bill, item_line = _transpose(rows, 3)
        tables[name] = _child(schema, head, item_bill, item_line, checks, ((items, line_kinds),))
    return tables, checks.flagged


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
    checks: BulkChecks,
    sources: tuple[tuple[Sequence[Any], dict[str, pa.DataType | None]], ...],
    tree: dict[str, pa.Array] | None = None,
) -> pa.Table:
    """A child table: the bill columns every row repeats, ``line_no``, the columns of each
    ``(items, kinds)`` source and, for details, the ``tree`` columns."""
    take = pa.array(bill_index, pa.int64())
    repeated = ("bill_id", "shop_id", "business_date", REC)
    columns = {name: pc.take(head[name], take) for name in repeated}
    columns["line_no"] = pa.array(line_no, pa.int32())
    for items, item_kinds in sources:
        columns |= checks.columns(items, item_kinds, columns[REC])
    return _table(schema, columns | (tree or {}))
