"""Request, fault and error counters of a running simulator, safe across handler threads."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SimulatorStats:
    """A snapshot: requests per action (``-`` when none could be read), faults injected per
    kind (``malformed`` counts corrupted records), signatures rejected, 400s per error code."""

    requests: Mapping[str, int] = field(default_factory=dict)
    faults: Mapping[str, int] = field(default_factory=dict)
    rejected_signatures: int = 0
    errors: Mapping[int, int] = field(default_factory=dict)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class Counters:
    """The live, lock-guarded counters behind :class:`SimulatorStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._errors: Counter[int] = Counter()

    def request(self, action: str) -> None:
        with self._lock:
            self._requests[action] += 1

    def fault(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._faults[kind] += n

    def error(self, code: int) -> None:
        with self._lock:
            self._errors[code] += 1

    def snapshot(self) -> SimulatorStats:
        with self._lock:
            return SimulatorStats(
                requests=dict(self._requests),
                faults=dict(self._faults),
                rejected_signatures=self._errors.get(1001, 0),
                errors=dict(self._errors),
            )
