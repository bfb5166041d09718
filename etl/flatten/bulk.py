"""Arrow columns from many decoded Structs at once, with exactness checked a column at a time.

Grain: one Arrow array per Struct attribute over a list of Structs (one per output row). Each
column's kind comes from the target Arrow schema (and, for vendor codes, from the Struct's
annotation), so the kinds cannot drift from the DDL:

* ``int64`` / ``int32`` / ``string`` / ``list<string>``: the attribute as decoded (msgspec
  already validated type and range); a code sent as a bare number keeps its digits.
* ``decimal128(18, 2)`` money and ``decimal128(18, 3)`` quantities from ``float`` attributes:
  one Arrow cast per column. A double is the JSON text rounded to 53 bits, so the cast is only
  trusted where the answer cannot depend on that rounding: magnitude below
  :data:`TRUSTED_MAGNITUDE` (a double's spacing there is at most 1.2e-7) and a distance to the
  rounded value below :data:`TRUSTED_NOISE` (half the 1e-6 noise bound of
  :mod:`etl.flatten.decimals`). Any other value flags its record, for the exact path to decide.
* Times (:meth:`BulkChecks.time`): one ``strptime`` per column, trusted only for zero-padded
  ``yyyy-MM-dd HH:mm:ss`` that prints back as the text it came from.

Flagging never changes a value: the caller drops the flagged records' rows and flattens them
the exact way.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from etl.qianhub.models import Code

TRUSTED_NOISE = 5e-7
"""Largest distance between a double and its rounded decimal trusted without the exact path."""
TRUSTED_MAGNITUDE = 1e9
"""Largest magnitude converted without the exact path (a double's spacing stays below 1.2e-7)."""

_PADDED_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_CODE = Code | None


class BulkChecks:
    """Builds checked columns; :attr:`flagged` holds the records (``_rec``) a check could not
    vouch for."""

    def __init__(self) -> None:
        self.flagged: set[int] = set()

    def flag(self, mask: pa.Array, recs: pa.Array) -> None:
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            self.flagged.update(pc.filter(recs, mask).to_pylist())

    def decimal(self, values: list[float | None], recs: pa.Array, kind: pa.DataType) -> pa.Array:
        """``kind`` (a ``decimal128``) of doubles; untrusted values flag their record."""
        floats = pa.array(values, pa.float64())
        trusted_size = pc.less(pc.abs(floats), TRUSTED_MAGNITUDE)
        safe = pc.if_else(trusted_size, floats, 0.0)
        decimals = pc.cast(safe, kind, safe=False)
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

    def columns(
        self, items: Sequence[Any], kinds: dict[str, pa.DataType | None], recs: pa.Array
    ) -> dict[str, pa.Array]:
        """One array per attribute of ``items`` named in ``kinds`` (see :func:`kinds`)."""
        columns: dict[str, pa.Array] = {}
        for name, kind in kinds.items():
            values = list(map(attrgetter(name), items))
            if kind is None:  # a vendor code: text, or a bare number kept as its digits
                columns[name] = pa.array(codes(values), pa.string())
            elif pa.types.is_decimal(kind):
                columns[name] = self.decimal(values, recs, kind)
            elif pa.types.is_list(kind):
                columns[name] = pa.array([v or [] for v in values], kind)  # null list: empty
            else:
                columns[name] = pa.array(values, kind)
        return columns


def codes(values: Sequence[Code | None]) -> list[str | None]:
    """Vendor codes as stored: text as sent, a bare number as its digits."""
    return [v if v is None or v.__class__ is str else str(v) for v in values]


def kinds(
    struct: type[msgspec.Struct], schema: pa.Schema, *, skip: Sequence[str] = ()
) -> dict[str, pa.DataType | None]:
    """The Arrow type of each attribute of ``struct`` that is a column of ``schema`` (None
    for a vendor code), except ``skip``: the attributes :meth:`BulkChecks.columns` converts."""
    out: dict[str, pa.DataType | None] = {}
    for field in msgspec.structs.fields(struct):
        if field.name in skip or field.name not in schema.names:
            continue
        out[field.name] = None if field.type == _CODE else schema.field(field.name).type
    return out
