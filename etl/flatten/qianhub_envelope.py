"""The fixed envelope around every ``query`` / ``batch-query`` record, and reject context.

Every record is ``{<shop key>, "staff_id", "staff_name", "boh_type", "json", ...}`` where only
``json`` depends on ``boh_type``. The shop key is ``shop_id`` in most examples but
``"shop_10": 10`` in the document's bill example, so the envelope is decoded as a mapping of raw
values rather than a Struct. The per-type ``json`` stays raw until its flattener decodes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from etl.errors import RecordError
from etl.qianhub.models import Int64

T = TypeVar("T")

_SHOP_KEY = re.compile(r"shop_([0-9]+)")
_INT64 = (-(2**63), 2**63 - 1)

ENVELOPE_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
"""A record's top-level fields, each kept as its raw JSON text."""
_ID: msgspec.json.Decoder[int | None] = msgspec.json.Decoder(Int64 | None)
_TEXT: msgspec.json.Decoder[str | None] = msgspec.json.Decoder(str | None)
_KINDS = {b"{": "an object", b"[": "an array", b'"': "a string", b"n": "null", b"t": "a boolean"}


def where(message: str, prefix: str) -> str:
    """Rewrite msgspec's ``"Expected `int`, got `str` - at `$.bill_id`"`` as
    ``"json.bill_id: Expected `int`, got `str`"`` so a reject names the field first."""
    text, sep, at = message.rpartition(" - at `")
    if not sep:
        return f"{prefix}: {message}"
    return f"{prefix}{at.rstrip('`')[1:]}: {text}"


def decode(decoder: msgspec.json.Decoder[T], raw: msgspec.Raw | bytes, field: str) -> T:
    """Decode ``raw`` with ``decoder``; a validation error becomes a reject naming ``field``."""
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise RecordError(where(str(exc), field)) from None
    except UnicodeDecodeError as exc:  # msgspec's answer to invalid UTF-8 inside a string
        raise RecordError(f"{field}: text is not valid UTF-8 ({exc.reason})") from None


def kind(raw: msgspec.Raw | bytes) -> str:
    """What JSON value ``raw`` holds, for messages (``"null"``, ``"an array"``, ...)."""
    head = bytes(raw)[:1]
    return _KINDS.get(head, "a boolean" if head == b"f" else "a number")


@dataclass(frozen=True, slots=True)
class Envelope:
    """One record's fixed fields; ``json`` is the raw per-type document (a JSON object)."""

    boh_type: str
    shop_id: int | None
    staff_id: int | None
    staff_name: str | None
    create_on: str | None
    json: msgspec.Raw


def parse_envelope(raw: msgspec.Raw) -> Envelope:
    """Validate the envelope of one record; raises :class:`RecordError` naming the field."""
    try:
        fields = ENVELOPE_FIELDS.decode(raw)
    except msgspec.ValidationError:
        raise RecordError(f"record is {kind(raw)}, not a JSON object") from None
    if "boh_type" not in fields:
        raise RecordError("boh_type is missing")
    boh_type = decode(_TEXT, fields["boh_type"], "boh_type")
    if boh_type is None:
        raise RecordError("boh_type is missing")
    document = fields.get("json")
    if document is None:
        raise RecordError("json is missing")
    if bytes(document)[:1] != b"{":
        raise RecordError(f"json is {kind(document)}, not an object")
    return Envelope(
        boh_type=boh_type,
        shop_id=envelope_shop(fields),
        staff_id=decode(_ID, fields.get("staff_id", b"null"), "staff_id"),
        staff_name=decode(_TEXT, fields.get("staff_name", b"null"), "staff_name"),
        create_on=decode(_TEXT, fields.get("create_on", b"null"), "create_on"),
        json=document,
    )


def envelope_shop(fields: dict[str, msgspec.Raw]) -> int | None:
    """``shop_id``, or the document's variant ``"shop_<n>": n`` (key and value must agree)."""
    if "shop_id" in fields:
        return decode(_ID, fields["shop_id"], "shop_id")
    keys = [name for name in fields if _SHOP_KEY.fullmatch(name)]
    if len(keys) > 1:
        raise RecordError(f"several shop keys in one record: {', '.join(keys)}")
    if not keys:
        return None
    shop_id = decode(_ID, fields[keys[0]], keys[0])
    if shop_id is not None and shop_id != int(keys[0][5:]):
        raise RecordError(f"{keys[0]} holds shop {shop_id}")
    return shop_id


def resolve_shop(envelope: int | None, document: int | None) -> int:
    """The record's shop: the envelope's, else ``json.shop_id``; the two must agree."""
    if envelope is None:
        if document is None:
            raise RecordError("shop_id is missing (no shop_id / shop_<n> and no json.shop_id)")
        return document
    if document is not None and document != envelope:
        raise RecordError(f"shop_id {envelope} disagrees with json.shop_id {document}")
    return envelope


def reject_context(raw: bytes) -> tuple[str | None, int | None]:
    """Best-effort ``(record_key, shop_id)`` of a rejected record, for ``meta.rejects``.

    The key is the bill_id for bills (as sent, even when it is not a valid id), ``staff_id|
    create_on`` for handovers, ``businessDay`` for day-ends, ``order`` for delivery orders.
    Anything unreadable gives None.
    """
    try:
        record = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None, None
    if not isinstance(record, dict):
        return None, None
    document = record.get("json")
    document = document if isinstance(document, dict) else {}
    return _record_key(record, document), _shop_of(record, document)


def _record_key(record: dict[str, Any], document: dict[str, Any]) -> str | None:
    boh_type = record.get("boh_type")
    if boh_type == "handover.stat":
        parts = (record.get("staff_id"), record.get("create_on") or document.get("create_on"))
        return "|".join("" if p is None else str(p) for p in parts) if any(parts) else None
    if boh_type == "dayend.stat":
        day = document.get("businessDay")
        return day if isinstance(day, str) else None
    if boh_type == "waimai.order":
        order = document.get("order")
        return str(order) if isinstance(order, str | int) and not isinstance(order, bool) else None
    bill_id = document.get("bill_id")
    if isinstance(bill_id, str | int) and not isinstance(bill_id, bool):
        return str(bill_id)
    return None


def _shop_of(record: dict[str, Any], document: dict[str, Any]) -> int | None:
    candidates = [record.get("shop_id")]
    candidates += [value for name, value in record.items() if _SHOP_KEY.fullmatch(name)]
    candidates.append(document.get("shop_id"))
    for value in candidates:
        if type(value) is int and _INT64[0] <= value <= _INT64[1]:
            return value
    return None
