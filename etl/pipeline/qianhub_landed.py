"""A landed QianHub shop-day, read and flattened: the work of a replay's worker processes.

Kept apart from :mod:`etl.pipeline.qianhub` so that a worker imports what flattening needs
(the raw store, the flatteners, pyarrow, msgspec) and not DuckDB or the warehouse: each worker
of a replay is a whole process, and these imports are most of its size (about 70 MB against
115 MB with the warehouse).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
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


PARENT_POLL_SECONDS = 0.5


def exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker as soon as the replay that started it is gone.

    A replay killed outright (SIGKILL, OOM killer) cannot stop its workers, and a worker
    waiting for its next unit would wait forever, holding its memory and the parent's
    inherited stdout (a caller waiting for that output would hang too). Polling the parent
    id is portable; the worker has nothing to save (it writes nothing but its answers).
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
