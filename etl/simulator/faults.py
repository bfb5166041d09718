"""Fault injection for the simulated gateway: the failures a loader must survive.

Two families, with different determinism on purpose:

* **Transient** faults (``5xx``, ``drop``, ``timeout``, ``slow``) hit whole requests. They are
  drawn from one seeded :class:`random.Random` behind a lock, so a run's sequence is
  reproducible for a given request order, and a retry of the same request may succeed -- as
  with the real gateway.
* **Data** faults are a function of the request: ``malformed`` adds, next to chosen
  ``cashier.finish`` records, a corrupted copy (bad number, impossible time, non-numeric id, a
  detail that is a string, ``json: null``), chosen from the bill id, version and seed, so the
  same request always returns the same corrupted records and every valid record stays intact
  (a load that rejects the copies equals a clean load). ``oversized`` pads the body of a query
  whose window is longer than ``oversize_over_hours`` with trailing whitespace up to
  ``oversize_bytes``: still valid JSON, too big for a client with a byte cap, so the loader
  must split the window.
* ``envelope`` is a transient fault like the others: an HTTP 200 whose body is the vendor's
  error envelope instead of the answer (QianHub ``{"error_code": 1000, ...}``, Pospal
  ``{"status": "error", ...}``), as a gateway in trouble sends it. Drawn after ``slow``, so a
  config without it draws exactly as before.
* ``reorder`` (QianHub only) is a data fault: a chosen ``query`` / ``batch-query`` answer comes
  with its records in a shuffled order, so a re-checkout's newer version can arrive before the
  older one. Chosen and shuffled from the records' ids and the seed (same request, same order).
* ``duplicate`` (Pospal only) starts a chosen page of a cursor-paged query with the previous
  page's last row again, chosen from the cursor and seed (see
  :mod:`etl.simulator.pospal_paging`); nothing is skipped, one row arrives twice.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass, fields

Record = dict[str, object]

_ALIASES = {"5xx": "error_5xx"}
_RATES = ("error_5xx", "drop", "timeout", "slow", "envelope", "malformed", "duplicate", "reorder")
TRANSIENT_KINDS = ("5xx", "drop", "timeout", "slow", "envelope")
MALFORMED_KINDS = ("amount", "cashier_on", "bill_id", "detail", "null")


@dataclass(frozen=True)
class FaultConfig:
    """What to inject and how often. Rates are probabilities in 0..1; all zero by default.

    Transient rates are cumulative per request in the order 5xx, drop, timeout, slow, envelope
    (a request gets at most one); their sum must not exceed 1.
    """

    error_5xx: float = 0.0
    drop: float = 0.0
    timeout: float = 0.0
    slow: float = 0.0
    envelope: float = 0.0
    malformed: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    timeout_delay: float = 3.0
    slow_delay: float = 0.2
    oversize_over_hours: float | None = None
    oversize_bytes: int = 2_000_000
    seed: int = 0

    def __post_init__(self) -> None:
        for name in _RATES:
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {name}={rate} must be within 0..1")
        if self.error_5xx + self.drop + self.timeout + self.slow + self.envelope > 1.0 + 1e-9:
            raise ValueError("fault rates 5xx + drop + timeout + slow + envelope must not exceed 1")
        if self.timeout_delay < 0 or self.slow_delay < 0:
            raise ValueError("fault delays must be >= 0 seconds")
        if self.oversize_over_hours is not None and self.oversize_over_hours <= 0:
            raise ValueError("oversize_over_hours must be > 0")
        if self.oversize_bytes <= 0:
            raise ValueError("oversize_bytes must be > 0")

    @classmethod
    def parse(cls, spec: str) -> FaultConfig:
        """Parse ``"5xx=0.05,drop=0.02,timeout=0.01,slow=0.05,malformed=0.01,
        oversize_over_hours=6,oversize_bytes=2000000"`` (also ``envelope``, ``duplicate``,
        ``reorder``, ``timeout_delay``, ``slow_delay``, ``seed``). An empty spec or ``none``
        means no faults."""
        spec = spec.strip()
        if spec.lower() in ("", "none"):
            return cls()
        known = {f.name: f for f in fields(cls)}
        values: dict[str, object] = {}
        for part in spec.split(","):
            name, sep, text = (p.strip() for p in part.partition("="))
            field_name = _ALIASES.get(name, name)
            if not sep or field_name not in known:
                names = ", ".join(["5xx", *sorted(set(known) - {"error_5xx"})])
                raise ValueError(f"unknown fault setting {part.strip()!r}; known: {names}")
            try:
                if field_name in ("seed", "oversize_bytes"):
                    values[field_name] = int(text)
                else:
                    values[field_name] = float(text)
            except ValueError:
                raise ValueError(f"fault setting {name} needs a number, got {text!r}") from None
        return cls(**values)  # type: ignore[arg-type]  # names and types checked above

    def describe(self) -> str:
        """The non-default settings in :meth:`parse` syntax, or ``none``."""
        default = FaultConfig()
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                parts.append(f"{'5xx' if f.name == 'error_5xx' else f.name}={value}")
        return ",".join(parts) or "none"


@dataclass(frozen=True)
class TransientFault:
    """One drawn request fault; ``variant`` picks the flavour (which 5xx, how to drop)."""

    kind: str
    variant: int


class FaultInjector:
    """Draws transient faults from a seeded RNG; safe to share between handler threads."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def draw(self) -> TransientFault | None:
        config = self.config
        with self._lock:
            roll = self._rng.random()
            variant = self._rng.randrange(1 << 16)
        for kind, rate in zip(
            TRANSIENT_KINDS,
            (config.error_5xx, config.drop, config.timeout, config.slow, config.envelope),
            strict=True,
        ):
            if roll < rate:
                return TransientFault(kind, variant)
            roll -= rate
        return None


def with_malformed(records: list[Record], config: FaultConfig) -> tuple[list[Record], int]:
    """``records`` with a corrupted copy after each chosen ``cashier.finish`` record.

    Returns the new list and how many copies were added. The originals are never modified.
    """
    if config.malformed <= 0:
        return records, 0
    out: list[Record] = []
    added = 0
    for record in records:
        out.append(record)
        bill = record.get("json")
        if record.get("boh_type") != "cashier.finish" or not isinstance(bill, dict):
            continue
        rng = random.Random(f"{config.seed}:malformed:{bill['bill_id']}:{bill['undo_index']}")
        if rng.random() < config.malformed:
            out.append(corrupt(record, MALFORMED_KINDS[rng.randrange(len(MALFORMED_KINDS))], rng))
            added += 1
    return out, added


def with_reordered(records: list[Record], config: FaultConfig) -> tuple[list[Record], bool]:
    """``records`` shuffled when this answer is chosen (from its records' ids and the seed),
    else unchanged; (the list, whether it was shuffled). The records themselves are shared."""
    if config.reorder <= 0 or len(records) < 2:
        return records, False
    ids = [_record_id(r) for r in records]
    rng = random.Random(f"{config.seed}:reorder:{len(ids)}:{ids[0]}:{ids[-1]}")
    if rng.random() >= config.reorder:
        return records, False
    shuffled = list(records)
    rng.shuffle(shuffled)
    return shuffled, True


def _record_id(record: Record) -> object:
    body = record.get("json")
    if isinstance(body, dict):
        return body.get("bill_id", body.get("id", body.get("create_on")))
    return record.get("boh_type")


def corrupt(record: Record, kind: str, rng: random.Random) -> Record:
    """A copy of a ``cashier.finish`` record broken in one way a strict reader must reject."""
    broken = copy.deepcopy(record)
    bill = broken["json"]
    assert isinstance(bill, dict)
    if kind == "amount":
        bill["amount"] = f"{int(bill['amount'])}.3.4"  # a string, and not even a number
    elif kind == "cashier_on":
        bill["cashier_on"] = f"{str(bill['cashier_on'])[:4]}-13-45 25:61:00"
    elif kind == "bill_id":
        bill["bill_id"] = f"ERR-{rng.randrange(1, 1_000_000)}"
    elif kind == "detail":
        orders = bill["orders"]
        assert isinstance(orders, list)
        orders[0]["details"].insert(0, "<detail lost in transit>")
    elif kind == "null":
        broken["json"] = None
    else:
        raise ValueError(f"unknown corruption {kind!r}")
    return broken
