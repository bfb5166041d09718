"""``python -m etl.chaos [--quick] [--out docs/reliability.md] [--seed N]`` (``make chaos``).

The full run: every fault class alone and all together, three fault seeds each, both vendors
where the class applies; then 20 kills at named points (four per point), 6 at random delays
and 4 kills of ``pos-warehouse load`` (Dagster) at random delays. ``--quick`` runs two
classes with one seed and three kills. Ends with the line::

    chaos: trials=<n> failures=<k> rows_compared=<r> kills=<j>

and exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from etl.chaos import kills, matrix, report, world

log = logging.getLogger("etl.chaos")

QUICK_CLASSES = ("5xx", "reorder")


@dataclass(frozen=True)
class Plan:
    classes: tuple[matrix.FaultClass, ...]
    seeds: tuple[int, ...]
    at_points: int
    at_random: int
    at_dagster: int = 0


def plan_for(*, quick: bool, seed: int) -> Plan:
    if quick:
        classes = tuple(c for c in matrix.FAULT_CLASSES if c.name in QUICK_CLASSES)
        return Plan(classes, (seed,), at_points=3, at_random=0)
    classes = (*matrix.FAULT_CLASSES, matrix.ALL_TOGETHER)
    return Plan(classes, (seed, seed + 1, seed + 2), at_points=20, at_random=6, at_dagster=4)


@dataclass
class ChaosRun:
    trials: list[matrix.Trial]
    kills: list[kills.KillTrial]
    seconds: float

    @property
    def totals(self) -> report.Totals:
        return report.totals(self.trials, self.kills)


def run(workdir: Path, plan: Plan, *, seed: int) -> ChaosRun:
    """The kill rig's calibration run is the clean reference for the matrix too."""
    started = time.perf_counter()
    keys = world.demo_keys(workdir / "keys")
    rig = kills.KillRig(workdir, keys)
    try:
        calibration = kills.calibrate(rig)
        clean = dict.fromkeys(world.VENDORS, calibration.database)
        trials = matrix.run_matrix(workdir, keys, clean, classes=plan.classes, seeds=plan.seeds)
        rng = random.Random(seed)
        plans = kills.plan_kills(
            rng,
            calibration,
            at_points=plan.at_points,
            at_random=plan.at_random,
        )
        killed = [
            kills.run_kill(rig, p, workdir / f"kill-{i:02d}", calibration)
            for i, p in enumerate(plans)
        ]
        if plan.at_dagster:
            seconds = kills.calibrate_dagster(rig, calibration)
            dagster_plans = kills.plan_dagster_kills(rng, seconds, plan.at_dagster)
            killed += [
                kills.run_dagster_kill(rig, p, workdir / f"kill-dagster-{i:02d}", calibration)
                for i, p in enumerate(dagster_plans)
            ]
    finally:
        rig.stop()
    return ChaosRun(trials, killed, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced set (as in the tests)")
    parser.add_argument("--out", type=Path, default=Path("docs/reliability.md"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the warehouses here (default: temp)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL, format="%(message)s")
    log.setLevel(logging.INFO)
    plan = plan_for(quick=args.quick, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="chaos-") as temp:
        workdir = args.workdir or Path(temp)
        result = run(workdir, plan, seed=args.seed)
    command = "python -m etl.chaos" + (" --quick" if args.quick else "")
    descriptions = {c.name: c.description for c in (*matrix.FAULT_CLASSES, matrix.ALL_TOGETHER)}
    text = report.render(
        result.trials,
        result.kills,
        descriptions=descriptions,
        command=command + (f" --seed {args.seed}" if args.seed != 1 else ""),
        seconds=result.seconds,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    totals = result.totals
    sys.stdout.write(f"wrote {args.out}\n{totals.line()}\n")
    return 1 if totals.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
