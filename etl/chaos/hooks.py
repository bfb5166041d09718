"""Named kill points in the loader, for the crash-safety trials; a no-op unless asked.

``POS_WAREHOUSE_CHAOS_KILL_AT=<label>:<n>`` makes the process SIGKILL itself the ``n``-th time
it reaches the point ``label`` (any other value only counts the hits, see :func:`hits`). The
points, in load order:

``fetched``    a unit's answers are landed raw, nothing flattened yet (pipelines)
``flattened``  a unit's batch is flattened, its transaction not begun (``Warehouse.load``)
``upsert``     one entity of the unit upserted, the transaction still open (``Warehouse.load``)
``committed``  the unit committed, its Parquet partitions not yet rewritten (``Warehouse.load``)
``parquet``    a lake file's temp file written, not yet renamed over the old one (lake)
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

KILL_AT_ENV = "POS_WAREHOUSE_CHAOS_KILL_AT"
POINTS = ("fetched", "flattened", "upsert", "committed", "parquet")

# Per process on purpose: the victim is one process, and the count is what the label's n means.
_hits: Counter[str] = Counter()
_lock = threading.Lock()  # the lake rewrites partitions on several threads


def kill_point(label: str) -> None:
    """Count a pass through ``label``; SIGKILL this process when it is the chosen one."""
    spec = os.environ.get(KILL_AT_ENV)
    if not spec:
        return
    with _lock:
        _hits[label] += 1
        hit = _hits[label]
    want, _, nth = spec.partition(":")
    if want == label and nth.isdigit() and hit == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)


def hits() -> dict[str, int]:
    """How often each point was passed in this process (only counted while the variable is set)."""
    return dict(_hits)
