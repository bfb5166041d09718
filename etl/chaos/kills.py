"""Crash safety: SIGKILL a real load at seeded points, then check what it left behind.

Each trial runs :mod:`etl.chaos.victim` in a subprocess against simulators in this process and
kills it either at a named kill point (``POS_WAREHOUSE_CHAOS_KILL_AT=<point>:<n>``, the n-th
pass, n drawn from the hits a calibration run counted) or after a seeded random delay. Then:

1. the warehouse opens (no lock or temp file left in the way) and every load unit in it equals
   the clean load's unit in every table, or is absent: never half (:mod:`etl.chaos.units`);
2. the Parquet lake equals DuckDB for every table, and no temp file is left in the lake or
   beside the read copy; the read copy, when there is one, opens;
3. a re-run finishes and every table equals the clean load (:mod:`etl.chaos.compare`).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from etl.chaos import hooks, world
from etl.chaos.compare import ENTITIES, compare
from etl.chaos.units import GROUPS, UnitKey, UnitState, half_units, unit_states
from etl.simulator import DemoKeys, PospalSimulator, QianhubSimulator
from etl.warehouse import Warehouse
from etl.warehouse.lake_check import lake_differences

log = logging.getLogger(__name__)

RANDOM = "random delay"
DAGSTER = "dagster run"
SCHEMAS = ("qianhub", "pospal")
VICTIM_TIMEOUT = 300.0
# A delay kill that came after the load ended (this run went faster than the calibration) is
# tried again, earlier, in a fresh home: at half the delay, at most this many times in all.
DELAY_ATTEMPTS = 3
PARTITION_COLUMN = {t: spec.partition_column for spec in ENTITIES for t in spec.tables}


@dataclass(frozen=True)
class KillPlan:
    """Where to die: the ``nth`` pass through a kill point, or ``delay`` seconds after ready."""

    point: str
    nth: int = 0
    delay: float = 0.0

    def describe(self) -> str:
        if self.point in (RANDOM, DAGSTER):
            return f"after {self.delay:.2f} s"
        return f"{self.point} #{self.nth}"


@dataclass
class KillTrial:
    plan: KillPlan
    killed: bool = False
    units_whole: int = 0
    rows_compared: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Calibration:
    """A whole, unkilled victim run: the clean reference for every kill trial."""

    database: Path
    units: dict[UnitKey, UnitState]
    hits: dict[str, int]
    seconds: float


class KillRig:
    """Simulators of the chaos world (no faults, no quota worth the name) and the victim."""

    def __init__(self, workdir: Path, keys: DemoKeys) -> None:
        self.workdir = workdir
        self.keys = keys
        self.qianhub: QianhubSimulator = world.start_qianhub(keys)
        self.pospal: PospalSimulator = world.start_pospal(quota=1_000_000)

    def stop(self) -> None:
        self.qianhub.stop()
        self.pospal.stop()

    def victim(self, home: Path, plan: KillPlan | None) -> tuple[int, str, float]:
        """Run the victim until it exits or is killed: (return code, last line, seconds)."""
        env = dict(os.environ)
        env.pop(hooks.KILL_AT_ENV, None)
        if plan is None:
            env[hooks.KILL_AT_ENV] = "count"  # count every point, kill at none
        elif plan.point != RANDOM:
            env[hooks.KILL_AT_ENV] = f"{plan.point}:{plan.nth}"
        home.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "etl.chaos.victim",
            "--home",
            str(home),
            "--qianhub-url",
            self.qianhub.url,
            "--pospal-url",
            self.pospal.url,
            "--keys",
            str(self.keys.private_key_file.parent),
        ]
        with (
            open(home / "victim.log", "wb") as stderr,
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr) as proc,
        ):
            assert proc.stdout is not None
            proc.stdout.readline()  # "ready": imports done, the load starts now
            started = time.perf_counter()
            try:
                proc.wait(timeout=plan.delay if plan and plan.point == RANDOM else VICTIM_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            seconds = time.perf_counter() - started
            lines = proc.stdout.read().decode().splitlines()
        return proc.returncode, (lines[-1] if lines else ""), seconds

    def dagster(self, home: Path, delay: float | None) -> tuple[int, str, float]:
        """``pos-warehouse load --vendor qianhub`` over the chaos days (Dagster runs in process,
        its event log in ``home/dagster``), killed ``delay`` seconds after its start."""
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != hooks.KILL_AT_ENV}
        env.pop("DAGSTER_HOME", None)
        env.update(
            POS_WAREHOUSE_HOME=str(home),
            QIANHUB_GATEWAY_URL=self.qianhub.url,
            QIANHUB_APP_ID=self.keys.app_id,
            QIANHUB_PRIVATE_KEY_FILE=str(self.keys.private_key_file),
            QIANHUB_TIMEOUT_SECONDS=str(world.CLIENT_TIMEOUT),
            QIANHUB_WINDOW_HOURS=str(world.WINDOW_HOURS),
        )
        days = world.QIANHUB_DAYS
        # The console script, not an import: etl never imports dagster.
        command = [
            str(Path(sys.executable).with_name("pos-warehouse")),
            "load",
            "--vendor",
            "qianhub",
            "--start",
            days[0].isoformat(),
            "--end",
            days[-1].isoformat(),
        ]
        started = time.perf_counter()
        # cwd=home: the CLI reads ./.env, and the repository's must not point it elsewhere.
        with (
            open(home / "dagster.log", "wb") as output,
            subprocess.Popen(command, env=env, cwd=home, stdout=output, stderr=output) as proc,
        ):
            try:
                proc.wait(timeout=VICTIM_TIMEOUT if delay is None else delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        seconds = time.perf_counter() - started
        tail = (home / "dagster.log").read_text(errors="replace").strip().splitlines()
        return proc.returncode, (tail[-1] if tail else ""), seconds


def calibrate(rig: KillRig) -> Calibration:
    home = rig.workdir / "kill-clean"
    code, last, seconds = rig.victim(home, None)
    if code != 0:
        raise RuntimeError(f"the clean victim run failed ({code}): {last}; see {home}/victim.log")
    database = home / "warehouse.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        units = unit_states(con)
    return Calibration(database, units, json.loads(last)["hits"], seconds)


def calibrate_dagster(rig: KillRig, calibration: Calibration) -> float:
    """A whole ``pos-warehouse load`` run: how long it takes (the kills' delays are drawn
    within it), and proof that the Dagster path loads what the plain pipeline loads."""
    home = rig.workdir / "dagster-clean"
    code, last, seconds = rig.dagster(home, None)
    if code != 0:
        raise RuntimeError(f"the clean pos-warehouse load failed ({code}): {last}")
    comparison = compare(calibration.database, home / "warehouse.duckdb", ("qianhub",))
    if not comparison.equal:
        raise RuntimeError(f"the Dagster load differs: {comparison.differences[0].describe()}")
    return seconds


def plan_dagster_kills(rng: random.Random, seconds: float, count: int) -> list[KillPlan]:
    return [
        KillPlan(DAGSTER, delay=round(rng.uniform(0.2, 0.95) * seconds, 3)) for _ in range(count)
    ]


def plan_kills(
    rng: random.Random, calibration: Calibration, *, at_points: int, at_random: int
) -> list[KillPlan]:
    """``at_points`` kills spread over the kill points in turn (the pass drawn at random from
    the calibrated count) and ``at_random`` kills at random delays within the calibrated run."""
    points = [p for p in hooks.POINTS if calibration.hits.get(p, 0) > 0]
    plans = [
        KillPlan(point, nth=rng.randint(1, calibration.hits[point]))
        for point in (points[i % len(points)] for i in range(at_points))
    ]
    plans += [
        KillPlan(RANDOM, delay=round(rng.uniform(0.02, 0.9) * calibration.seconds, 3))
        for _ in range(at_random)
    ]
    return plans


def _temp_files(home: Path) -> list[str]:
    lake = home / "lake"
    found = list(lake.rglob("*.tmp*")) if lake.exists() else []
    found += list(home.glob(".*.tmp*"))  # the read copy's temp files
    return sorted(str(p.relative_to(home)) for p in found)


def _lake_problems(wh: Warehouse) -> list[str]:
    problems = []
    for group in GROUPS:
        for table in group.tables:
            diff = lake_differences(wh.con, wh.lake_dir, table, PARTITION_COLUMN.get(table))
            if diff:
                problems.append(f"lake {table}: {diff} rows differ from DuckDB")
    return problems


Rerun = Callable[[], list[str]]


def check_after_kill(
    home: Path,
    calibration: Calibration,
    trial: KillTrial,
    rerun: Rerun,
    schemas: tuple[str, ...] = SCHEMAS,
) -> None:
    """The checks of the module docstring, appended to ``trial.problems``."""
    settings = world.warehouse_settings(home)
    try:
        with Warehouse.open(settings, lock_wait_seconds=10) as wh:
            states = unit_states(wh.con)
            trial.units_whole = len(states)
            trial.problems += half_units(states, calibration.units)
            trial.problems += _lake_problems(wh)
    except Exception as exc:  # any failure to open is the finding
        trial.problems.append(f"the warehouse did not open after the kill: {exc!r}")
        return
    trial.problems += [f"temp file left after the next open: {p}" for p in _temp_files(home)]
    if settings.reader_path.exists():
        try:
            with duckdb.connect(str(settings.reader_path), read_only=True) as con:
                con.execute("SELECT count(*) FROM qianhub.shops").fetchall()
        except duckdb.Error as exc:
            trial.problems.append(f"the read copy does not open: {exc}")
    left = rerun()
    if left:
        trial.problems.append(f"the re-run did not finish: {left}")
    comparison = compare(calibration.database, settings.warehouse_path, schemas)
    trial.rows_compared = comparison.rows
    trial.problems += [f"after the re-run: {d.describe()}" for d in comparison.differences]
    with Warehouse.open(settings, lock_wait_seconds=10) as wh:
        trial.problems += [f"after the re-run: {p}" for p in _lake_problems(wh)]


Victim = Callable[[Path, KillPlan], tuple[int, str, float]]


def _until_killed(victim: Victim, home: Path, trial: KillTrial) -> tuple[int, str]:
    """Run the victim under ``trial.plan``; a delay that came too late is halved and retried."""
    for _ in range(DELAY_ATTEMPTS):
        code, last, _ = victim(home, trial.plan)
        if code == -signal.SIGKILL or trial.plan.point not in (RANDOM, DAGSTER):
            break
        shutil.rmtree(home)
        trial.plan = replace(trial.plan, delay=round(trial.plan.delay / 2, 3))
    return code, last


def run_kill(rig: KillRig, plan: KillPlan, home: Path, calibration: Calibration) -> KillTrial:
    trial = KillTrial(plan)
    started = time.perf_counter()
    code, last = _until_killed(rig.victim, home, trial)
    trial.killed = code == -signal.SIGKILL
    if not trial.killed:
        # The load ended before the kill point or delay: a missed kill, reported as such.
        trial.problems.append(f"not killed: the victim exited with {code} ({last[:200]})")
    check_after_kill(home, calibration, trial, lambda: _rerun(rig, home))
    trial.seconds = time.perf_counter() - started
    log.info(
        "chaos kill %s: %s, %d whole units, %.1f s",
        plan.describe(),
        "ok" if trial.ok else f"FAILED {trial.problems}",
        trial.units_whole,
        trial.seconds,
    )
    return trial


def _rerun(rig: KillRig, home: Path) -> list[str]:
    qianhub = world.load_qianhub(rig.qianhub.url, rig.keys, home)
    pospal = world.load_pospal(rig.pospal.url, home)
    return qianhub.failures + pospal.failures + pospal.quota_cuts


def run_dagster_kill(
    rig: KillRig, plan: KillPlan, home: Path, calibration: Calibration
) -> KillTrial:
    """Kill ``pos-warehouse load`` mid-run (Dagster writing its events and the run's state as
    it goes); the next ``pos-warehouse load`` must release the dead run and finish."""
    trial = KillTrial(plan)
    started = time.perf_counter()
    code, last = _until_killed(lambda h, p: rig.dagster(h, p.delay), home, trial)
    trial.killed = code == -signal.SIGKILL
    if not trial.killed:
        trial.problems.append(f"not killed: pos-warehouse load exited with {code} ({last[:200]})")

    def rerun() -> list[str]:
        code, last, _ = rig.dagster(home, None)
        return [] if code == 0 else [f"pos-warehouse load exited with {code}: {last[:300]}"]

    check_after_kill(home, calibration, trial, rerun, ("qianhub",))
    trial.seconds = time.perf_counter() - started
    log.info(
        "chaos kill %s: %s, %d whole units, %.1f s",
        plan.describe(),
        "ok" if trial.ok else f"FAILED {trial.problems}",
        trial.units_whole,
        trial.seconds,
    )
    return trial
