"""Exact conversion of vendor JSON numbers to ``DECIMAL(18,2)`` money and ``DECIMAL(18,3)``
quantities (or any other ``DECIMAL(p,s)`` through :func:`to_decimal`).

The vendor writes Java ``double``s, so a price of 69.80 may arrive as ``69.80000000000001``.
The rule: read the JSON text as a ``Decimal`` (never through a float), round it to the column's
scale, and accept the rounded value only when it differs from the text by less than
:data:`NOISE` (1e-6). Anything finer (``1.005`` for money) is a real value the column cannot
hold, so the record is rejected instead of silently rounded. Values that do not fit 18 digits,
and JSON strings (``"12.30"``), are rejected too.

The noise bound holds while a double's spacing stays below it, i.e. for magnitudes below about
1e9 (money in yuan is far below that).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

import msgspec

from etl.errors import RecordError

NOISE = Decimal("0.000001")
MONEY_SCALE = 2
QUANTITY_SCALE = 3
PRECISION = 18

_NULL = b"null"
_NUMBER_START = frozenset(b"-0123456789")


@lru_cache(maxsize=8192)
def _parse(text: bytes, scale: int, precision: int) -> Decimal:
    """Exact value of one JSON number in ``DECIMAL(precision, scale)``; ``ValueError`` says why
    it does not fit.

    Cached: bills repeat the same few amounts (0, 1, list prices) many times.
    """
    if not text or text[0] not in _NUMBER_START:
        raise ValueError(f"is not a JSON number: {text.decode('utf-8', 'replace')}")
    value = Decimal(text.decode("ascii"))
    try:
        rounded = value.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:  # more digits than the decimal context holds (e.g. 1e400)
        rounded = Decimal("Infinity")
    if rounded.is_infinite() or (rounded and rounded.adjusted() >= precision - scale):
        raise ValueError(f"{text.decode()} does not fit DECIMAL({precision},{scale})")
    if rounded != value and abs(value - rounded) >= NOISE:
        raise ValueError(f"{text.decode()} has more than {scale} decimal places")
    return rounded


def to_decimal(
    raw: msgspec.Raw, field: str, scale: int, precision: int = PRECISION
) -> Decimal | None:
    """``raw`` (a JSON number or ``null``) as a Decimal with exactly ``scale`` places that fits
    ``DECIMAL(precision, scale)``.

    Raises :class:`RecordError` naming ``field`` when the value is not a number or does not fit.
    """
    text = bytes(raw)
    if text == _NULL:
        return None
    try:
        return _parse(text, scale, precision)
    except ValueError as exc:
        raise RecordError(f"{field} {exc}") from None


def money(raw: msgspec.Raw, field: str) -> Decimal | None:
    """A ``DECIMAL(18,2)`` amount in yuan (see the module docstring for the noise rule)."""
    return to_decimal(raw, field, MONEY_SCALE)


def quantity(raw: msgspec.Raw, field: str) -> Decimal | None:
    """A ``DECIMAL(18,3)`` quantity, weight or count."""
    return to_decimal(raw, field, QUANTITY_SCALE)
