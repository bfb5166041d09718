"""Pospal answers split into records, and what a reject says about its record.

Every answer is ``{"status", "messages", "errorCode", "data"}``; ``status`` is compared without
case. ``data`` comes in three shapes, all accepted by every flattener:

* a page ``{"postBackParameter", "result": [...], "pageSize"}`` (``queryTicketPages``,
  ``queryCustomerHistoryTicketsByUid``, ``queryOrderPages``);
* a bare list of records (the order document shows ``queryOrderPages`` that way; refund
  look-ups may answer several tickets);
* one record (``queryTicketBySn``, ``queryTicketByOrderNo``, ``queryOrderByNo``).

Records stay raw (:class:`msgspec.Raw`) so a reject keeps the record's exact text. A body that
is not JSON, not a success answer, or whose ``data`` is none of the three shapes is one reject
holding the whole body.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import msgspec

from etl.batch import Reject
from etl.errors import RecordError
from etl.flatten.qianhub_envelope import kind, where
from etl.pospal.models import Answer

VENDOR = "pospal"

_ANSWER = msgspec.json.Decoder(Answer)
_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RECORDS = msgspec.json.Decoder(list[msgspec.Raw])
_MESSAGE_CHARS = 500


class Shape(Enum):
    """How an answer's ``data`` held its records."""

    PAGE = "page"
    LIST = "list"
    SINGLE = "single"
    EMPTY = "empty"


def split_answer(body: bytes) -> tuple[Shape, list[msgspec.Raw]]:
    """The records of one success answer, and the shape they came in.

    Raises :class:`RecordError` for a body that cannot yield records: not JSON, an error
    answer (the reason carries ``errorCode`` and ``messages``), or an unexpected ``data``.
    ``data: null`` on a success answer holds no records.
    """
    try:
        answer = _ANSWER.decode(body)
    except msgspec.ValidationError as exc:
        raise RecordError(f"not a Pospal answer: {where(str(exc), 'body')}") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise RecordError(f"body is not JSON: {exc}") from None
    if answer.status is None:
        raise RecordError("answer has no status")
    if answer.status.strip().lower() != "success":
        raise RecordError(_error_reason(answer))
    data = answer.data
    head = bytes(data)[:1]
    if head == b"n":
        return Shape.EMPTY, []
    if head == b"[":
        return Shape.LIST, _RECORDS.decode(data)
    if head != b"{":
        raise RecordError(f"data is {kind(data)}, not a page, a list or a record")
    fields = _FIELDS.decode(data)
    if "result" not in fields:
        return Shape.SINGLE, [data]
    result = fields["result"]
    if bytes(result)[:1] == b"n":
        return Shape.PAGE, []
    if bytes(result)[:1] != b"[":
        raise RecordError(f"data.result is {kind(result)}, not an array")
    return Shape.PAGE, _RECORDS.decode(result)


def _error_reason(answer: Answer) -> str:
    code = bytes(answer.error_code).decode("utf-8", "replace")
    messages: Any = msgspec.json.decode(answer.messages)  # valid JSON: the body parsed
    if isinstance(messages, list):
        text = "; ".join(str(m) for m in messages)
    else:
        text = "" if messages is None else str(messages)
    return f"answer status {answer.status!r}, errorCode {code}: {text or '(no messages)'}"[
        :_MESSAGE_CHARS
    ]


def record_key(raw: msgspec.Raw | bytes, field: str) -> str | None:
    """Best-effort key of a rejected record (``sn``, ``orderNo``, ``code``) as sent, even when
    it is not valid; None when the record cannot be read or has no such field."""
    try:
        record = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    value = record.get(field)
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    return None


def reject(
    endpoint: str, reason: str, raw: bytes | msgspec.Raw, record_key: str | None = None
) -> Reject:
    """A Pospal reject holding ``raw``'s exact text (invalid UTF-8 replaced, never dropped)."""
    text = bytes(raw).decode("utf-8", "replace")
    return Reject(VENDOR, endpoint, reason, text, record_key=record_key, shop_id=None)
