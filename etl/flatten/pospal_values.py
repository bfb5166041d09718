"""Field conversions for Pospal records: prices, percentages, flags, text and optional times.

Each raises :class:`~etl.errors.RecordError` naming the field (``ticket.items[0].quantity``),
which rejects the whole record. Money and quantities use :mod:`etl.flatten.decimals` directly;
the scales here are the Pospal-only ones (see :mod:`etl.flatten.pospal_tables`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from etl.errors import RecordError
from etl.flatten.decimals import to_decimal
from etl.flatten.pospal_tables import PERCENT_PRECISION, PERCENT_SCALE, PRICE_SCALE
from etl.flatten.qianhub_envelope import kind
from etl.flatten.times import parse_time

_STRING = msgspec.json.Decoder(str)
_NUMBER_START = frozenset(b"-0123456789")


def price(raw: msgspec.Raw, field: str) -> Decimal | None:
    """A unit price or profit, ``DECIMAL(18,4)``."""
    return to_decimal(raw, field, PRICE_SCALE)


def percent(raw: msgspec.Raw, field: str) -> Decimal | None:
    """A discount percentage (100 = none), ``DECIMAL(9,3)``."""
    return to_decimal(raw, field, PERCENT_SCALE, PERCENT_PRECISION)


def flag(value: bool | int | None, field: str) -> bool | None:
    """``1``/``true`` -> True, ``0``/``false`` -> False, absent -> None; any other number is a
    reject (the documents define only 0 and 1)."""
    if value is None or isinstance(value, bool):
        return value
    if value in (0, 1):
        return value == 1
    raise RecordError(f"{field} is {value}, not 0 or 1")


def text_value(raw: msgspec.Raw, field: str) -> str | None:
    """A value documented as text: a JSON string as is, a bare number as its exact JSON text
    (never through a float), null as None. Objects, arrays and booleans are rejects."""
    text = bytes(raw)
    if text == b"null":
        return None
    if text[:1] == b'"':
        return _STRING.decode(text)
    if text[:1] and text[0] in _NUMBER_START:
        return text.decode("ascii")
    raise RecordError(f"{field} is {kind(raw)}, not text")


def optional_time(text: str | None, field: str) -> dt.datetime | None:
    """An optional store-local time; an empty string (how unset times come back) is None."""
    return parse_time(text or None, field)


def require_key(text: str, field: str) -> str:
    """A key that must be a non-empty string (``sn``, ``orderNo``, ``code``)."""
    if not text.strip():
        raise RecordError(f"{field} is empty")
    return text
