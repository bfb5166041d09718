"""``handover.stat`` and ``dayend.stat`` records -> a report row and its lines.

The two reports share one format (the day-end adds ``businessDay``): ``json`` holds sections
(``summary``, ``detail``, ``waive``, ``sale``, ``member``, ``goods``, ``waimai``,
``waimaiGoods``, ...), each a list of lines ``{key, item, count, amount, subdetail[]}`` --
summary lines carry a text ``value`` instead. Every list-valued member of ``json`` is read as
a section, so a section the vendor adds later is loaded rather than dropped.

Grain of the lines tables: one row per line, ``subdetail`` flattened with ``parent_line_no``
and ``depth``; ``line_no`` is the line's pre-order position within its section, so
(report key, ``section``, ``line_no``) is unique.

Report keys: a handover is (shop, staff, ``create_on``) with ``business_date`` the business
day of ``create_on``; a day-end is (shop, ``businessDay``) and ``create_on`` is its version.
``create_on`` is read at record level, next to ``json``, as in the document's example; a
``json.create_on`` is the fallback.
"""

from __future__ import annotations

import msgspec

from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.columns import Row, Staged
from etl.flatten.decimals import money, quantity
from etl.flatten.qianhub_envelope import Envelope, decode, kind, resolve_shop
from etl.flatten.times import parse_date, require_time
from etl.qianhub.models import Int64, StatLine

MAX_DEPTH = 64
"""Deepest ``subdetail`` level accepted (0 = top level)."""

KNOWN_SECTIONS = frozenset(
    {"summary", "detail", "waive", "sale", "member", "goods", "waimai", "waimaiGoods"}
)
"""Sections of the document; one of these sent as anything but a list (or null) is a reject."""

_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_LINES = msgspec.json.Decoder(list[StatLine])
_ID: msgspec.json.Decoder[int | None] = msgspec.json.Decoder(Int64 | None)
_TEXT: msgspec.json.Decoder[str | None] = msgspec.json.Decoder(str | None)
_NULL = b"null"
_NUMBER_START = frozenset(b"-0123456789")


def flatten_handover(envelope: Envelope, rule: BusinessDayRule) -> Staged:
    """One ``handover_stats`` row and its lines."""
    members = decode(_MEMBERS, envelope.json, "json")
    shop_id = _shop(envelope, members)
    if envelope.staff_id is None:
        raise RecordError("staff_id is missing (part of the handover key)")
    create_on = require_time(_create_on(envelope, members), "create_on")
    head = (shop_id, envelope.staff_id, create_on, rule.business_date(create_on))
    return {
        "handover_stats": [(*head, envelope.staff_name)],
        "handover_stat_lines": [(*head, *line) for line in _lines(members)],
    }


def flatten_dayend(envelope: Envelope, rule: BusinessDayRule) -> Staged:
    """One ``dayend_stats`` row and its lines; ``rule`` is unused (the vendor names the day)."""
    del rule
    members = decode(_MEMBERS, envelope.json, "json")
    shop_id = _shop(envelope, members)
    day_text = decode(_TEXT, members.get("businessDay", _NULL), "json.businessDay")
    business_date = parse_date(day_text, "json.businessDay")
    if business_date is None:
        raise RecordError("json.businessDay is missing (the day-end's key)")
    create_on = require_time(_create_on(envelope, members), "create_on")
    head = (shop_id, business_date)
    return {
        "dayend_stats": [(*head, envelope.staff_id, envelope.staff_name, create_on)],
        "dayend_stat_lines": [(*head, *line) for line in _lines(members)],
    }


def _shop(envelope: Envelope, members: dict[str, msgspec.Raw]) -> int:
    return resolve_shop(
        envelope.shop_id, decode(_ID, members.get("shop_id", _NULL), "json.shop_id")
    )


def _create_on(envelope: Envelope, members: dict[str, msgspec.Raw]) -> str | None:
    if envelope.create_on is not None:
        return envelope.create_on
    return decode(_TEXT, members.get("create_on", _NULL), "json.create_on")


def _lines(members: dict[str, msgspec.Raw]) -> list[Row]:
    """``(section, line_no, parent_line_no, depth, key, item, value_text, count, amount)`` of
    every line of every section, in document order."""
    out: list[Row] = []
    for section, raw in members.items():
        head = bytes(raw)[:1]
        if head == b"[":
            lines = decode(_LINES, raw, f"json.{section}")
            _walk(lines, section, out, len(out), None, 0, f"json.{section}")
        elif section in KNOWN_SECTIONS and head != b"n":
            raise RecordError(f"json.{section} is {kind(raw)}, not a list")
    return out


def _walk(
    lines: list[StatLine] | None,
    section: str,
    out: list[Row],
    start: int,
    parent: int | None,
    depth: int,
    where: str,
) -> None:
    """Append ``lines`` and their subdetail in pre-order; ``start`` is the section's first
    index in ``out``, so ``len(out) - start`` is the next line_no."""
    for n, line in enumerate(lines or ()):
        here = f"{where}[{n}]"
        if depth > MAX_DEPTH:
            raise RecordError(f"{here}: subdetail nested deeper than {MAX_DEPTH} levels")
        line_no = len(out) - start
        try:
            row = (
                section,
                line_no,
                parent,
                depth,
                line.key,
                line.item,
                _value_text(line.value),
                quantity(line.count, "count"),
                money(line.amount, "amount"),
            )
        except RecordError as exc:
            raise RecordError(f"{here}.{exc.reason}") from None
        out.append(row)
        _walk(line.subdetail, section, out, start, line_no, depth + 1, f"{here}.subdetail")


def _value_text(raw: msgspec.Raw) -> str | None:
    """A summary ``value`` as sent: a JSON string's text, or a number's literal digits."""
    text = bytes(raw)
    if text == _NULL:
        return None
    if text[:1] == b'"':
        return msgspec.json.decode(text, type=str)
    if text[0] in _NUMBER_START:
        return text.decode("ascii")
    raise RecordError(f"value is {kind(raw)}, not text or a number")
