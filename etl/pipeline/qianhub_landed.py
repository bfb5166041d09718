"""A landed QianHub shop-day, read and flattened: the work of a replay's worker processes.

Kept apart from :mod:`etl.pipeline.qianhub` so that a worker imports what flattening needs
(the raw store, the flatteners, pyarrow, msgspec) and not DuckDB or the warehouse: each worker
of a replay is a whole process, and these imports are most of its size (about 70 MB against
115 MB with the warehouse).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from etl.batch import FlatBatch
from etl.business_day import BusinessDayRule
from etl.flatten.qianhub import flatten_batch_bodies
from etl.raw import RawStore

VENDOR = "qianhub"
BATCH_ENDPOINT = "batch-query"


def shop_unit(shop_id: int) -> str:
    return f"shop_id={shop_id}"


def flatten_landed(
    raw: RawStore, shop_id: int, business_date: dt.date, rule: BusinessDayRule
) -> tuple[Path, FlatBatch] | None:
    """The newest complete landing of a shop-day (its folder) and its flattened bodies; None
    when nothing was landed."""
    landed = raw.latest(VENDOR, BATCH_ENDPOINT, business_date.isoformat(), shop_unit(shop_id))
    if landed is None:
        return None
    return landed.path, flatten_batch_bodies(landed.bodies(), rule)
