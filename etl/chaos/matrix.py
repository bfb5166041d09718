"""The fault matrix: each fault class alone, then all together, against a clean load.

A trial is one vendor, one fault class and one fault seed: a fresh warehouse is loaded from a
simulator injecting the class, re-run as the loader's contract says (a faulted run may fail a
unit or stop at the quota; the next run must finish it: QianHub re-runs its business dates,
Pospal the account x date partitions left, as Dagster re-runs failed partitions), then every
table of the vendor's schema is compared with a clean load of the same world
(:mod:`etl.chaos.compare`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from etl.chaos import world
from etl.chaos.compare import Comparison, compare
from etl.simulator import DemoKeys, PospalWorld

log = logging.getLogger(__name__)

# Client timeouts are 0.5 s: an injected timeout stalls longer, a slow answer does not.
STALLS = "timeout_delay=0.8,slow_delay=0.05"
# Runs a trial may take to converge: faults may fail a unit per run; a quota cut needs a day.
MAX_RUNS = 8


@dataclass(frozen=True)
class FaultClass:
    """A fault class: what it means, the simulator settings per vendor (None: not that
    vendor's), a vendor call quota that runs out mid-day, and the ``shop_<id>`` key variant."""

    name: str
    description: str
    qianhub: str | None
    pospal: str | None
    quota: int | None = None
    key_variant: bool = False
    window_hours: float = world.WINDOW_HOURS

    def spec(self, vendor: str) -> str | None:
        return self.qianhub if vendor == "qianhub" else self.pospal


FAULT_CLASSES = (
    FaultClass("5xx", "HTTP 5xx (nginx pages and vendor 500s), 5%", "5xx=0.05", "5xx=0.05"),
    FaultClass(
        "drop", "dropped connections (no answer, or half a body), 2%", "drop=0.02", "drop=0.02"
    ),
    FaultClass(
        "timeout",
        "timeouts 3% (0.8 s stall, client gives up at 0.5 s) and slow answers 10%",
        f"timeout=0.03,slow=0.1,{STALLS}",
        f"timeout=0.03,slow=0.1,{STALLS}",
    ),
    FaultClass(
        "envelope",
        "vendor error envelope in an HTTP 200, 3%",
        "envelope=0.03",
        "envelope=0.03",
    ),
    FaultClass(
        "quota",
        "vendor call quota (1035) spent mid-day; the next day's run finishes",
        None,
        "",
        quota=20,
    ),
    FaultClass(
        "malformed",
        "malformed records next to intact ones (bad number, time, id, child, null), 1%",
        "malformed=0.01",
        "malformed=0.01",
    ),
    FaultClass(
        "duplicate",
        "a page starts with the previous page's last row again, 20%",
        None,
        "duplicate=0.2",
    ),
    FaultClass(
        "reorder",
        "records of an answer shuffled: re-checkouts arrive newest first, 50% of answers",
        "reorder=0.5",
        None,
        # One answer per shop-day, so both versions of every re-checkout share an answer.
        window_hours=24,
    ),
    FaultClass(
        "key_variant",
        "the first shop's records keyed `shop_<id>` instead of `shop_id`",
        "",
        None,
        key_variant=True,
    ),
)
ALL_TOGETHER = FaultClass(
    "all",
    "every class above at once",
    f"5xx=0.05,drop=0.02,timeout=0.03,slow=0.1,envelope=0.03,malformed=0.01,reorder=0.5,{STALLS}",
    f"5xx=0.05,drop=0.02,timeout=0.03,slow=0.1,envelope=0.03,malformed=0.01,duplicate=0.2,{STALLS}",
    quota=20,
    key_variant=True,
)


@dataclass
class Trial:
    """One faulted load of one vendor, re-run until complete, compared with the clean load."""

    fault: str
    vendor: str
    seed: int
    runs: int = 0
    faults_met: dict[str, int] = field(default_factory=dict)
    rows_compared: int = 0
    tables: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


class QuotaClock:
    """The day our call budget and the simulated vendor count calls in; a trial moves both on
    after a quota cut, as the next night's run would find them."""

    def __init__(self, pospal_world: PospalWorld) -> None:
        self.now = dt.datetime(2026, 11, 10, 4, tzinfo=dt.UTC)
        self.world = pospal_world

    def __call__(self) -> dt.datetime:
        return self.now

    def next_day(self) -> None:
        self.now += dt.timedelta(days=1)
        self.world.as_of = self.world.now() + dt.timedelta(days=1)


def fault_seed(fault: FaultClass, seed: int) -> int:
    """The simulators' fault seed: per class as well, so that two classes with the same run
    seed do not fault the same requests (the draws follow the same seeded sequence)."""
    return seed * 10_000 + zlib.crc32(fault.name.encode()) % 10_000


def run_trial(
    fault: FaultClass, vendor: str, seed: int, workdir: Path, keys: DemoKeys, clean: Path
) -> Trial:
    spec = fault.spec(vendor)
    assert spec is not None
    spec = ",".join(p for p in (spec, f"seed={seed}") if p)
    trial = Trial(fault.name, vendor, seed)
    home = workdir / f"{fault.name}-{vendor}-{seed}"
    started = time.perf_counter()
    if vendor == "qianhub":
        simulator = world.start_qianhub(keys, spec, key_variant=fault.key_variant)
        try:
            for _ in range(MAX_RUNS):
                trial.runs += 1
                outcome = world.load_qianhub(
                    simulator.url, keys, home, window_hours=fault.window_hours
                )
                if outcome.complete:
                    break
            faults_met = dict(simulator.stats.faults)
        finally:
            simulator.stop()
    else:
        pospal_world = world.pospal_world()
        clock = QuotaClock(pospal_world)
        pospal = world.start_pospal(spec, quota=fault.quota or 300, world=pospal_world)
        try:
            partitions = None  # the first run: every partition; then what is left
            for _ in range(MAX_RUNS):
                trial.runs += 1
                outcome = world.load_pospal(
                    pospal.url, home, world=pospal_world, clock=clock, partitions=partitions
                )
                if outcome.complete:
                    break
                partitions = outcome.left
                if outcome.quota_cuts:
                    clock.next_day()
            faults_met = dict(pospal.stats.faults)
            errors = dict(pospal.stats.errors)
        finally:
            pospal.stop()
        if errors.get(1035):
            faults_met["quota"] = errors[1035]
    if fault.key_variant and vendor == "qianhub":
        faults_met["key_variant"] = 1
    trial.faults_met = faults_met
    if not outcome.complete:
        trial.problems.append(
            f"not complete after {trial.runs} runs: {outcome.failures + outcome.quota_cuts}"
        )
    result: Comparison = compare(clean, home / "warehouse.duckdb", (vendor,))
    trial.rows_compared, trial.tables = result.rows, result.tables
    trial.problems += [d.describe() for d in result.differences]
    trial.seconds = time.perf_counter() - started
    return trial


def run_matrix(
    workdir: Path,
    keys: DemoKeys,
    clean: dict[str, Path],
    *,
    classes: Iterable[FaultClass],
    seeds: Iterable[int],
) -> list[Trial]:
    trials = []
    seeds = list(seeds)
    for fault in classes:
        for vendor in world.VENDORS:
            if fault.spec(vendor) is None:
                continue
            for seed in seeds:
                trial = run_trial(
                    fault, vendor, fault_seed(fault, seed), workdir, keys, clean[vendor]
                )
                log.info(
                    "chaos %s %s seed %d: %s in %d runs, %.1f s",
                    fault.name,
                    vendor,
                    seed,
                    "ok" if trial.ok else "FAILED",
                    trial.runs,
                    trial.seconds,
                )
                trials.append(trial)
    return trials
