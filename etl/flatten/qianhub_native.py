"""The native path for ``cashier.finish`` bills: response bodies straight to Arrow columns in C.

Same grain, columns and values as the reference flattener (:mod:`etl.flatten.qianhub_bills`);
a test holds the two equal on a generated world with every nesting and re-checkout case, on
hand-made edge cases, on hostile values anywhere in a bill, and on bodies damaged byte by
byte. What differs is how: ``etl/flatten/native/`` parses each body once, without the GIL,
into the Arrow buffers of the seven bill tables -- no Python object per record or value,
money converted from its JSON digits in integer arithmetic.

The C code vouches only for what it is sure of, as the Python fast path
(:mod:`etl.flatten.qianhub_fast`) does; every other record (not a bill, a value of an
unexpected type or precision, a repeated id, an unusual time or shop key, ...) comes back as
its exact text for the reference flattener, so rejects and their reasons are the reference's
own. When a body is not a JSON array the way msgspec reads it, nothing is taken here and
the caller flattens the whole call the usual way.

The extension is built when the project is installed (``setup.py``); without a C compiler
:data:`AVAILABLE` is False and bills take the Python fast path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import msgspec
import pyarrow as pa

from etl.business_day import BusinessDayRule
from etl.flatten.native_sources import source_hash
from etl.flatten.qianhub_tables import (
    BILL_DETAILS,
    BILL_DISCOUNTS,
    BILL_ORDERS,
    BILL_PAYMENTS,
    BILL_PROMOTIONS,
    BILL_VERSIONS,
    BILLS,
)

log = logging.getLogger(__name__)

_native: ModuleType | None
try:
    from etl.flatten import _native
except ImportError:  # built without a C compiler: the Python fast path takes the bills
    _native = None

BILL_TABLES: dict[str, pa.Schema] = {
    "bills": BILLS,
    "bill_versions": BILL_VERSIONS,
    "bill_orders": BILL_ORDERS,
    "bill_details": BILL_DETAILS,
    "bill_payments": BILL_PAYMENTS,
    "bill_promotions": BILL_PROMOTIONS,
    "bill_discounts": BILL_DISCOUNTS,
}


@dataclass
class NativeBills:
    """What one call gave: the bill tables, the records left for the reference, and the count
    of every record in the bodies."""

    tables: dict[str, pa.Table]
    others: list[tuple[int, msgspec.Raw]]
    """``(_rec, raw)`` of each record the native path handed back, ascending."""
    records: int


def columns_match(described: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Differences between the extension's tables (``_native.tables()``) and the Arrow
    schemas of :mod:`etl.flatten.qianhub_tables`: empty when every column has the schema's
    name, place and type."""
    problems = []
    for name, schema in BILL_TABLES.items():
        expected = [(field.name, str(field.type)) for field in schema]
        if described.get(name) != expected:
            problems.append(f"{name}: native {described.get(name)} != schema {expected}")
    return problems


def stale_reason(module: Any, current: str | None) -> str | None:
    """Why ``module`` (the imported extension) must not be used, or None when it may: it was
    compiled from sources other than ``current`` (their :func:`source_hash`; None when the
    sources are not installed beside it, and then only the columns are compared), or its
    columns differ from the schemas."""
    built = getattr(module, "SOURCE_HASH", None)
    if current is not None and built != current:
        label = built[:12] if isinstance(built, str) and built else "unknown"
        return f"compiled from other C sources (built {label}, sources {current[:12]})"
    if not callable(getattr(module, "tables", None)):
        return "it describes no tables (a build older than this wrapper)"
    problems = columns_match(module.tables())
    return "; ".join(problems) if problems else None


_stale = None if _native is None else stale_reason(_native, source_hash())
if _stale is not None:
    # A stale build (the C changed and the install did not run again, or a rebuild failed
    # and left the old one): never load its columns; the Python fast path takes the bills.
    log.error("etl.flatten._native is stale, not used (reinstall to rebuild it): %s", _stale)
    _native = None
AVAILABLE = _native is not None
"""True when the extension was built (``pip install`` with a C compiler) from the sources
beside it and matches the schemas."""


_warned: list[bool] = []


def _warn_once() -> None:
    if not _warned:
        _warned.append(True)
        log.warning(
            "etl.flatten._native is not in use (%s): QianHub bills take the Python fast "
            "path, same tables, about three times slower to flatten",
            "stale, see above" if _stale else "not built: no C compiler at install time",
        )


def day_start_micros(rule: BusinessDayRule) -> int:
    start = rule.start
    return ((start.hour * 60 + start.minute) * 60 + start.second) * 10**6 + start.microsecond


def flatten_native(bodies: Sequence[bytes], rule: BusinessDayRule) -> NativeBills | None:
    """The bills of ``bodies`` through the extension; None when it is not built or when a
    body is not a JSON array (the caller then flattens every body the usual way)."""
    if _native is None:
        _warn_once()
        return None
    out = _native.flatten(bodies, day_start_micros(rule))
    if out is None:
        return None
    records, described, spans = out
    tables = {
        name: pa.Table.from_arrays(
            [
                _array(field, described[name][0], column)
                for field, column in zip(schema, described[name][1], strict=True)
            ],
            schema=schema,
        )
        for name, schema in BILL_TABLES.items()
    }
    quads = memoryview(spans).cast("q").tolist()
    others = [
        (quads[i], msgspec.Raw(bodies[quads[i + 1]][quads[i + 2] : quads[i + 3]]))
        for i in range(0, len(quads), 4)
    ]
    return NativeBills(tables=tables, others=others, records=records)


def _array(field: pa.Field, rows: int, column: tuple[Any, ...]) -> pa.Array:
    """An Arrow array over the extension's buffers (no copy)."""
    nulls, valid, data, offsets, item_offsets, items = column
    validity = None if valid is None else pa.py_buffer(valid)
    kind = field.type
    if pa.types.is_list(kind):
        strings = pa.Array.from_buffers(
            pa.string(), items, [None, pa.py_buffer(item_offsets), pa.py_buffer(data)], 0
        )
        return pa.Array.from_buffers(
            kind, rows, [validity, pa.py_buffer(offsets)], nulls, children=[strings]
        )
    if offsets is not None:
        buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    else:
        buffers = [validity, pa.py_buffer(data)]
    return pa.Array.from_buffers(kind, rows, buffers, nulls)
