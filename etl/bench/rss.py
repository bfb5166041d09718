"""Resident memory of a stage: this process plus its worker processes, sampled together.

``getrusage`` gives high-water marks per process (``RUSAGE_SELF``) and the largest of the
finished children (``RUSAGE_CHILDREN``), never the peak of their sum: with several flatten
workers the sum of marks is only an upper bound (the peaks need not coincide). The sampler
reads ``/proc`` every :data:`INTERVAL` seconds and keeps the largest total it saw, so it may
miss a peak shorter than that; the report gives both figures.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

INTERVAL = 0.05


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # the process ended between the listing and the read
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def tree_rss_mb(pid: int | None = None) -> float:
    """RSS of ``pid`` (default: this process) and all its descendants, in MB."""
    todo, total = [pid or os.getpid()], 0
    while todo:
        current = todo.pop()
        total += _rss_kib(current)
        todo += _children(current)
    return total / 1024


class TreeRssSampler:
    """Peak of :func:`tree_rss_mb` while the ``with`` block runs (0 where /proc is absent)."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, tree_rss_mb())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeRssSampler:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
