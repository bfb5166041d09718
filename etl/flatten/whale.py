"""WHALE notification answers -> ``whale.make_code_notifications`` / ``whale.verify_notifications``.

One row per sale-channel order id. An answer that is not a notification record, names another
order id, or carries dates that are not dates becomes a :class:`~etl.batch.Reject` with its raw
bytes; the rest of the batch still loads. The mobile number is masked here, before anything is
stored: the warehouse does not need it to follow notifications.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from etl.batch import REC, EntitySpec, FlatBatch, Reject
from etl.errors import VendorError
from etl.whale.client import parse_notification
from etl.whale.models import SUCCESS, Notification

VENDOR = "whale"
SCHEMA = "whale"
MAKE_CODE_TABLE = f"{SCHEMA}.make_code_notifications"
VERIFY_TABLE = f"{SCHEMA}.verify_notifications"

NOTIFICATIONS = pa.schema(
    [
        ("sale_channel_order_id", pa.string()),
        ("notify_id", pa.string()),
        ("order_id", pa.string()),
        ("request_id", pa.string()),
        ("sale_channel_id", pa.int64()),
        ("create_date", pa.date32()),
        ("created_at", pa.timestamp("us")),
        ("order_mobile_masked", pa.string()),
        ("code_num", pa.int32()),
        ("order_extend", pa.string()),
        ("is_notify", pa.string()),
        ("is_notified", pa.bool_()),
        ("is_can_void", pa.string()),
        ("can_void", pa.bool_()),
        ("return_code", pa.string()),
        ("succeeded", pa.bool_()),
        ("update_date", pa.date32()),
        ("updated_at", pa.timestamp("us")),
        ("status", pa.string()),
        (REC, pa.int64()),
    ]
)

# No version column: WHALE's updateTime is optional in practice (the example lacks it), so the
# latest load wins. One unpartitioned Parquet file per table.
MAKE_CODE_ENTITY = EntitySpec(
    MAKE_CODE_TABLE, key=("sale_channel_order_id",), partition_column=None
)
VERIFY_ENTITY = EntitySpec(VERIFY_TABLE, key=("sale_channel_order_id",), partition_column=None)

_FLAGS = {"已通知": True, "未通知": False, "可撤销": True, "不可撤销": False}


def mask_mobile(mobile: str | None) -> str | None:
    """``13524121212`` -> ``135****1212``; short values are masked whole."""
    if not mobile:
        return None
    digits = mobile.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _date(text: str | None, name: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 -- a calendar date
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a yyyyMMdd date") from None


def _time(text: str | None, name: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        # WHALE documents no time zone: stored as sent, naive.
        return dt.datetime.strptime(text, "%Y%m%d%H%M%S")  # noqa: DTZ007
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a yyyyMMddHHmmss time") from None


def notification_row(record: Notification) -> dict[str, object]:
    return {
        "sale_channel_order_id": record.saleChannelOrderId,
        "notify_id": record.notifyId,
        "order_id": record.orderId,
        "request_id": record.requestId,
        "sale_channel_id": record.saleChannelId,
        "create_date": _date(record.createDate, "createDate"),
        "created_at": _time(record.createTime, "createTime"),
        "order_mobile_masked": mask_mobile(record.orderMobile),
        "code_num": record.codeNum,
        "order_extend": record.orderExtend,
        "is_notify": record.isNotify,
        "is_notified": _FLAGS.get(record.isNotify),
        "is_can_void": record.isCanVoid,
        "can_void": _FLAGS.get(record.isCanVoid),
        "return_code": record.returnCode,
        "succeeded": record.returnCode == SUCCESS,
        "update_date": _date(record.updateDate, "updateDate"),
        "updated_at": _time(record.updateTime, "updateTime"),
        "status": record.status,
    }


def flatten_notifications(
    answers: Sequence[tuple[str, bytes]], *, table: str, endpoint: str
) -> FlatBatch:
    """Flatten ``(requested order id, raw answer)`` pairs into ``table`` (qualified name)."""
    rows: list[dict[str, object]] = []
    rejects: list[Reject] = []
    for rec, (order_id, body) in enumerate(answers):
        try:
            record = parse_notification(body, endpoint)
            if record.saleChannelOrderId != order_id:
                raise ValueError(f"answer is for order {record.saleChannelOrderId!r}")
            row = notification_row(record)
        except (VendorError, ValueError) as exc:
            reason = exc.args[0] if isinstance(exc, ValueError) else str(exc)
            raw = body.decode("utf-8", errors="replace")
            rejects.append(Reject(VENDOR, endpoint, str(reason)[:500], raw, record_key=order_id))
            continue
        rows.append({**row, REC: rec})
    flat = pa.Table.from_pylist(rows, schema=NOTIFICATIONS)
    return FlatBatch(tables={table: flat}, rejects=rejects, records=len(answers))
