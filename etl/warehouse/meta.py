"""The load log (``meta.loads``) and rejected records (``meta.rejects``).

A committed load's log row and its rejects are written in the load's own transaction, so they
exist exactly when its data does. A failed load is logged afterwards, in a transaction of its
own, after the rollback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from etl.batch import Reject
from etl.sql_files import read_sql, read_statements
from etl.warehouse.upsert import unregister_quietly


def new_load_id() -> str:
    """Sortable by start time (UTC), unique across processes."""
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class LoadUnit:
    """What one load covers: a vendor endpoint, a unit within it, a business date, a window."""

    vendor: str
    endpoint: str
    unit: str
    business_date: dt.date | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    source: str = "api"
    raw_path: str | None = None
    load_id: str = field(default_factory=new_load_id)

    def describe(self) -> str:
        where = f"{self.vendor} {self.endpoint} {self.unit}"
        if self.window_start and self.window_end:
            return f"{where} window [{self.window_start}, {self.window_end})"
        if self.business_date:
            return f"{where} business date {self.business_date}"
        return where


_REJECT_SCHEMA = pa.schema(
    [
        ("vendor", pa.string()),
        ("endpoint", pa.string()),
        ("record_key", pa.string()),
        ("shop_id", pa.int64()),
        ("reason", pa.string()),
        ("raw_payload", pa.string()),
        ("payload_sha256", pa.string()),
    ]
)


def record_rejects(
    con: duckdb.DuckDBPyConnection, rejects: Sequence[Reject], load_id: str, seen_at: dt.datetime
) -> None:
    if not rejects:
        return
    columns: dict[str, list[object]] = {name: [] for name in _REJECT_SCHEMA.names}
    for reject in rejects:
        columns["vendor"].append(reject.vendor)
        columns["endpoint"].append(reject.endpoint)
        columns["record_key"].append(reject.record_key)
        columns["shop_id"].append(reject.shop_id)
        columns["reason"].append(reject.reason)
        columns["raw_payload"].append(reject.raw_payload)
        digest = hashlib.sha256(reject.raw_payload.encode("utf-8", "surrogatepass"))
        columns["payload_sha256"].append(digest.hexdigest())
    con.register("stg_rejects", pa.table(columns, schema=_REJECT_SCHEMA))
    try:
        for statement in read_statements("queries/meta_rejects_merge.sql"):
            con.execute(statement, [load_id, seen_at])
    finally:
        unregister_quietly(con, ["stg_rejects"])


def record_load(
    con: duckdb.DuckDBPyConnection,
    unit: LoadUnit,
    *,
    status: str,
    started_at: dt.datetime,
    records: int = 0,
    rows: dict[str, int] | None = None,
    rejects: int = 0,
    partitions: Sequence[str] = (),
    error: str | None = None,
) -> None:
    con.execute(
        read_sql("queries/meta_loads_insert.sql"),
        [
            unit.load_id,
            unit.vendor,
            unit.endpoint,
            unit.unit,
            unit.business_date,
            unit.window_start,
            unit.window_end,
            unit.source,
            status,
            started_at,
            utcnow(),
            records,
            json.dumps(rows or {}, sort_keys=True),
            rejects,
            sorted(partitions),
            unit.raw_path,
            error,
        ],
    )
