"""WHALE notification status for the order ids the ERP supplies -> the warehouse.

A load unit is one table for the whole list of order ids: one query per order id
(``makeNotifyQuery``, or the verification query), the answers landed raw together, flattened,
upserted on ``sale_channel_order_id`` in one transaction. WHALE cannot list orders, so the
ids come from ``WHALE_ORDER_IDS_FILE`` or ``WHALE_ORDER_IDS_TABLE``.

Per order: a notification record (whatever its ``returnCode``) becomes a row; a malformed
answer becomes a reject in ``meta.rejects``; an error ``returnCode`` without a record (e.g. no
verification yet, an id WHALE does not know) is reported in ``missing``, not stored. Transport,
auth and cut-off answers fail the unit: nothing is written.

:func:`retry_failed` calls ``makeNotifyRetry`` for every stored make-code notification that
failed (``succeeded = false``) and reloads those orders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import msgspec

from etl.batch import EntitySpec
from etl.errors import ConfigError, LoadError
from etl.flatten.whale import (
    MAKE_CODE_ENTITY,
    MAKE_CODE_TABLE,
    VENDOR,
    VERIFY_ENTITY,
    VERIFY_TABLE,
    flatten_notifications,
)
from etl.raw import RawStore
from etl.warehouse import Warehouse
from etl.warehouse.meta import LoadUnit
from etl.warehouse.store import LoadResult
from etl.whale.client import WhaleClient
from etl.whale.envelope import WhaleRejected, WhaleUnexpectedAnswer
from etl.whale.models import MAKE_NOTIFY_QUERY
from etl.whale.settings import WhaleSettings, read_order_ids

log = logging.getLogger(__name__)


@dataclass
class NotificationLoad:
    """What one load of a notification table did."""

    table: str
    requested: int
    result: LoadResult
    missing: dict[str, str] = field(default_factory=dict)  # order id -> WHALE's code and message

    @property
    def rows(self) -> int:
        return self.result.rows.get(self.table, 0)


@dataclass
class RetryResult:
    """What :func:`retry_failed` did: orders retried, fixed, still failing, refused."""

    retried: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    still_failed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    load: NotificationLoad | None = None


def order_ids_for(settings: WhaleSettings, con: duckdb.DuckDBPyConnection | None) -> list[str]:
    """The configured order ids: from the file, or from the warehouse table's
    ``sale_channel_order_id`` column (``con`` needed then)."""
    source = settings.require_order_ids_source()
    if isinstance(source, Path):
        ids = read_order_ids(source)
    else:
        if con is None:
            raise ConfigError("WHALE_ORDER_IDS_TABLE needs the warehouse open")
        # The name was checked against [schema.]table in the settings; values are not SQL.
        quoted = ".".join(f'"{part}"' for part in source.split("."))
        try:
            found = con.execute(
                f"SELECT DISTINCT CAST(sale_channel_order_id AS VARCHAR) FROM {quoted} "
                "WHERE sale_channel_order_id IS NOT NULL ORDER BY 1"
            ).fetchall()
        except duckdb.Error as exc:
            raise ConfigError(
                f"WHALE_ORDER_IDS_TABLE {source}: cannot read sale_channel_order_id ({exc})"
            ) from None
        ids = [str(value) for (value,) in found]
    if not ids:
        raise ConfigError(f"WHALE order ids: {source} names no order id")
    return ids


def load_make_code_notifications(
    client: WhaleClient, wh: Warehouse, raw: RawStore, order_ids: Sequence[str]
) -> NotificationLoad:
    """Query and upsert the make-code notification of every order id (one transaction)."""
    return _load(client.make_notify_query, wh, raw, order_ids, MAKE_NOTIFY_QUERY, MAKE_CODE_ENTITY)


def load_verify_notifications(
    client: WhaleClient, wh: Warehouse, raw: RawStore, order_ids: Sequence[str]
) -> NotificationLoad:
    """Query and upsert the verification notification of every order id (one transaction)."""
    return _load(
        client.verify_notify_query, wh, raw, order_ids, client.verify_notify_action, VERIFY_ENTITY
    )


def retry_failed(
    client: WhaleClient,
    wh: Warehouse,
    raw: RawStore,
    order_ids: Sequence[str] | None = None,
) -> RetryResult:
    """``makeNotifyRetry`` for each failed make-code notification in the warehouse (only those
    in ``order_ids`` when given), then reload those orders' rows."""
    failed = [
        str(oid)
        for (oid,) in wh.con.execute(
            f"SELECT sale_channel_order_id FROM {MAKE_CODE_TABLE} "
            "WHERE NOT coalesce(succeeded, false) ORDER BY 1"
        ).fetchall()
    ]
    if order_ids is not None:
        wanted = set(order_ids)
        failed = [oid for oid in failed if oid in wanted]
    result = RetryResult()
    for order_id in failed:
        try:
            client.make_notify_retry(order_id)
        except (WhaleRejected, WhaleUnexpectedAnswer) as exc:
            result.errors[order_id] = str(exc)
            continue
        result.retried.append(order_id)
    if result.retried:
        result.load = load_make_code_notifications(client, wh, raw, result.retried)
        done = set(_succeeded(wh, result.retried))
        result.fixed = [oid for oid in result.retried if oid in done]
        result.still_failed = [oid for oid in result.retried if oid not in done]
    log.info(
        "whale retry: %d failed, %d retried, %d fixed",
        len(failed),
        len(result.retried),
        len(result.fixed),
    )
    return result


def _succeeded(wh: Warehouse, order_ids: Sequence[str]) -> list[str]:
    rows = wh.con.execute(
        f"SELECT sale_channel_order_id FROM {MAKE_CODE_TABLE} "
        "WHERE succeeded AND list_contains(?, sale_channel_order_id)",
        [list(order_ids)],
    ).fetchall()
    return [str(oid) for (oid,) in rows]


def _load(
    fetch: Callable[[str], bytes],
    wh: Warehouse,
    raw: RawStore,
    order_ids: Sequence[str],
    endpoint: str,
    entity: EntitySpec,
) -> NotificationLoad:
    unit = LoadUnit(VENDOR, endpoint, f"orders={len(order_ids)}")
    answers: list[tuple[str, bytes]] = []
    missing: dict[str, str] = {}
    for order_id in order_ids:
        try:
            answers.append((order_id, fetch(order_id)))
        except WhaleRejected as exc:
            missing[order_id] = f"code {exc.code}: {exc.vendor_message or ''}".strip()
        except WhaleUnexpectedAnswer as exc:
            # JSON without returnCode: keep it as a reject (flatten refuses it again, with bytes).
            answers.append((order_id, exc.raw))
    landed = [
        {"saleChannelOrderId": oid, "answer": body.decode("utf-8", errors="replace")}
        for oid, body in answers
    ]
    try:
        path = raw.land(VENDOR, endpoint, unit.load_id, msgspec.json.encode(landed))
    except OSError as exc:
        raise LoadError(f"{unit.describe()}: raw landing failed: {exc}") from exc
    unit = replace(unit, raw_path=str(path.relative_to(raw.root)))
    batch = flatten_notifications(answers, table=entity.table, endpoint=endpoint)
    result = wh.load(unit, batch, [entity])
    return NotificationLoad(entity.table, len(order_ids), result, missing)


__all__ = [
    "MAKE_CODE_TABLE",
    "VERIFY_TABLE",
    "NotificationLoad",
    "RetryResult",
    "load_make_code_notifications",
    "load_verify_notifications",
    "order_ids_for",
    "retry_failed",
]
