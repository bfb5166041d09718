"""Small helpers every part of the QianHub world shares: money on the wire, vendor time text,
snowflake ids and the record kinds.

Money is computed in :class:`~decimal.Decimal` at two places and put on the wire in its shortest
form (``109``, ``69.8``, ``0.05``) because the vendor's Java ``double`` fields print that way;
a ``Decimal('109.00')`` would be a number no real gateway sends.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

CASHIER_FINISH = "cashier.finish"
HANDOVER_STAT = "handover.stat"
DAYEND_STAT = "dayend.stat"
# Named by a later revision of the document (delivery orders); see qianhub_delivery.
WAIMAI_ORDER = "waimai.order"
BOH_TYPES = frozenset({CASHIER_FINISH, HANDOVER_STAT, DAYEND_STAT, WAIMAI_ORDER})

CENT = Decimal("0.01")
GRAM = Decimal("0.001")

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")

# Snowflake layout: 41 bits of milliseconds since ID_EPOCH, 10 bits of worker (the shop's
# index), 12 bits of sequence within one bill. Ids from 2018 on have 19 digits and stay below
# 2**63 until 2079, so they always exceed 2**53 (the float-safe range) -- on purpose.
ID_EPOCH = dt.datetime.combine(dt.date(2010, 1, 1), dt.time())
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKERS = 1 << WORKER_BITS
MAX_SEQUENCE = 1 << SEQUENCE_BITS
# The world has data only for business dates in this range (ids in range, see above).
FIRST_DATA_DATE = dt.date(2018, 1, 1)
LAST_DATA_DATE = dt.date(2069, 12, 31)


def q2(value: Decimal) -> Decimal:
    """Round to fen (0.01 yuan), half up, as a cash register does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def wire(value: Decimal, places: Decimal = CENT) -> Decimal:
    """``value`` rounded to ``places`` in its shortest exact form: ``109``, ``69.8``, ``1.235``."""
    rounded = value.quantize(places, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return Decimal(int(rounded))
    # normalize() only strips trailing fractional zeros here: the value is not integral,
    # so no exponent form (``1E+2``) can appear.
    return rounded.normalize()


def fmt_time(moment: dt.datetime) -> str:
    """Vendor time text ``yyyy-MM-dd HH:mm:ss`` (shop-local, no zone)."""
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str) -> dt.datetime:
    """Parse vendor time text strictly; raise ValueError on any other shape or an impossible
    date (``2026-13-45``)."""
    if not _TIME_RE.fullmatch(text):
        raise ValueError(f"expected yyyy-MM-dd HH:mm:ss, got {text!r}")
    return dt.datetime.fromisoformat(text)


def snowflake(moment: dt.datetime, millis: int, worker: int, sequence: int) -> int:
    """A 63-bit snowflake id from a shop-local time (+``millis``), worker and sequence."""
    if not 0 <= worker < MAX_WORKERS or not 0 <= sequence < MAX_SEQUENCE:
        raise ValueError(f"worker {worker} or sequence {sequence} out of range")
    elapsed = moment - ID_EPOCH
    ms = (elapsed.days * 86_400 + elapsed.seconds) * 1000 + millis
    return (ms << (WORKER_BITS + SEQUENCE_BITS)) | (worker << SEQUENCE_BITS) | sequence


def node_amount(node: dict[str, object]) -> Decimal:
    """What one detail node itself costs: current price x (quantity - void) x weight, to fen.

    Children are not included; a top-level detail's ``real_amount`` is the sum over its subtree.
    """
    price = dec(node["current_price"])
    quantity = dec(node["quantity"]) - dec(node["void_quantity"])
    return q2(price * quantity * dec(node["weight"]))


def tree_amount(node: dict[str, object]) -> Decimal:
    """A detail node plus all its descendants (what ``real_amount`` of a top-level detail is)."""
    children = node.get("children") or []
    assert isinstance(children, list)
    return node_amount(node) + sum((tree_amount(c) for c in children), Decimal(0))


def dec(value: object) -> Decimal:
    """A wire number (Decimal or int) as a Decimal; anything else is a bug in the world."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    raise TypeError(f"expected a number, got {value!r}")
