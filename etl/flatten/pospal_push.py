"""Stored Pospal pushes -> ``pospal.push_events`` rows, and malformed pushes -> rejects.

Grain: one row per business event (:attr:`etl.pospal.push.PushMessage.dedupe_key`). The body
is kept exactly as pushed; the ids a refresh or an analyst needs are lifted into columns when
they have the documented type (a stored event is never dropped for an odd field: the column
is NULL and the body still holds it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from etl.batch import FlatBatch, Reject
from etl.business_day import BusinessDayRule
from etl.flatten.columns import Tables
from etl.flatten.pospal_tables import PUSH_EVENT_SCHEMAS
from etl.pospal.push import local_time
from etl.pospal.push_store import StoredPush, StoredReject

PUSH_ENDPOINT = "push"
_INT32 = 2**31
_DECODER = msgspec.json.Decoder()


def _int(value: Any, *, bits: int = 64) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    limit = 2 ** (bits - 1)
    return number if -limit <= number < limit else None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _utc(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _row(event: StoredPush, rule: BusinessDayRule, zone: ZoneInfo) -> tuple[object, ...]:
    decoded = _DECODER.decode(event.body.encode("utf-8"))
    fields: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
    born = local_time(event.born_ms, zone)
    customer = _int(fields.get("customerUid"))
    return (
        event.account,
        event.dedupe_key,
        rule.business_date(born),
        event.app_id,
        event.cmd,
        event.version,
        born,
        local_time(event.pushed_ms, zone),
        event.born_ms,
        _text(fields.get("sn")),
        _int(fields.get("uid")),
        _int(fields.get("ticketType"), bits=32),
        _text(fields.get("orderNo")),
        _int(fields.get("state"), bits=32),
        customer or None,
        _int(fields.get("stockFlowId")),
        event.body,
        event.deliveries,
        _utc(event.first_received_at),
        _utc(event.last_received_at),
        event.refresh,
        event.refresh_status,
        _utc(event.refreshed_at),
        event.refresh_note,
    )


def flatten_push_events(
    events: Sequence[StoredPush],
    rejects: Sequence[StoredReject],
    rule: BusinessDayRule,
    timezone: str,
) -> FlatBatch:
    """Rows for ``pospal.push_events`` (times store-local in ``timezone``) and one
    :class:`Reject` per malformed push, its raw request kept as text."""
    zone = ZoneInfo(timezone)
    tables = Tables(PUSH_EVENT_SCHEMAS)
    for rec, event in enumerate(events):
        tables.commit({"push_events": [_row(event, rule, zone)]}, rec)
    kept = [
        Reject(
            vendor="pospal",
            endpoint=PUSH_ENDPOINT,
            reason=r.reason,
            raw_payload=r.raw.decode("utf-8", "backslashreplace"),
            record_key=r.sha256,
        )
        for r in rejects
    ]
    return FlatBatch(tables=tables.tables(), rejects=kept, records=len(events) + len(rejects))
