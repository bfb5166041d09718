"""Stages of ``make bench``, each run in its own process so its peak RSS is its own.

``python -m etl.bench --stage NAME WORKDIR`` runs one stage of the run described by
``WORKDIR/config.json`` and writes its figures, with the process's peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``: the high-water mark cannot be reset inside a process),
to ``WORKDIR/stage-NAME.json``. In-process mode (the smoke test) calls the same functions
directly; the RSS it reports is then the whole process's.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from etl.batch import FlatBatch
from etl.bench import baselines, fetch, limits, replay
from etl.bench.world import BenchConfig, qianhub_world
from etl.business_day import BusinessDayRule
from etl.flatten.qianhub import BATCH_ENTITIES, flatten_batch_bodies
from etl.flatten.qianhub import flatten_batch_bodies_reference as flatten_reference
from etl.flatten.qianhub_native import AVAILABLE as NATIVE_FLATTEN
from etl.pipeline.qianhub import BATCH_ENDPOINT, shop_unit
from etl.raw import RawStore
from etl.warehouse import LoadUnit, Warehouse

PROFILE_LINES = 18


def profile_replay(config: BenchConfig) -> dict[str, object]:
    """Where replay time goes, on the first day (every shop), in one process: the flatten
    (fast path, then the reference flattener on the same pages, for their ratio) and the load
    into an empty warehouse, each timed plainly and then under cProfile."""
    home = config.root / "profile"
    shutil.rmtree(home, ignore_errors=True)
    raw, settings = RawStore(config.raw_dir), replay.settings_for(home, config.memory_limit)
    shops = qianhub_world(config).shop_ids()
    day = config.dates()[0]
    landed = [raw.latest("qianhub", BATCH_ENDPOINT, day.isoformat(), shop_unit(s)) for s in shops]
    pages = [list(unit.bodies()) for unit in landed if unit is not None]
    timings: dict[str, float] = {}
    paths: dict[str, Callable[[list[bytes], BusinessDayRule], FlatBatch]] = {
        "fast": flatten_batch_bodies,  # native where built
        "python": lambda bodies, rule: flatten_batch_bodies(bodies, rule, native=False),
        "reference": flatten_reference,
    }
    for name, flatten in paths.items():
        began = time.perf_counter()
        for bodies in pages:
            flatten(bodies, settings.rule)
        timings[f"flatten_{name}_s"] = time.perf_counter() - began
    flat_profile = cProfile.Profile()
    flat_profile.enable()
    batches = [flatten_batch_bodies(bodies, settings.rule) for bodies in pages]
    flat_profile.disable()
    units = [
        (LoadUnit("qianhub", BATCH_ENDPOINT, shop_unit(shop), day, source="replay"), batch)
        for shop, batch in zip(shops, batches, strict=True)
    ]
    load_profile = cProfile.Profile()
    with Warehouse.open(settings) as wh, wh.lake_deferred():
        began = time.perf_counter()
        load_profile.enable()
        for stack in stacks(units, config.stack_records):
            wh.load_many(stack, BATCH_ENTITIES)
        loaded = time.perf_counter()
        wh.sync_lake()  # what the replay's deferred rewrite does at its end
        load_profile.disable()
        timings["load_s"], timings["lake_s"] = loaded - began, time.perf_counter() - loaded
    bills = sum(b.tables["bills"].num_rows for b in batches)
    return {
        "bills": bills,
        "native": NATIVE_FLATTEN,
        **timings,
        "flatten": _top(flat_profile),
        "load": _top(load_profile),
    }


Stack = list[tuple[LoadUnit, FlatBatch]]


def stacks(units: Stack, records: int) -> list[Stack]:
    """Consecutive units grouped as a replay stacks them: a stack is loaded once it holds at
    least ``records`` records (see :func:`etl.pipeline.qianhub.replay_days`)."""
    out: list[Stack] = [[]]
    held = 0
    for unit in units:
        out[-1].append(unit)
        held += unit[1].records
        if held >= records:
            out.append([])
            held = 0
    return [stack for stack in out if stack]


def _top(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(PROFILE_LINES)
    text = out.getvalue()
    return text[text.index("   ncalls") :] if "   ncalls" in text else text


STAGES: dict[str, Callable[[BenchConfig], dict[str, object]]] = {
    "fetch": fetch.run,
    "replay_qianhub": replay.replay_qianhub,
    "replay_pospal": replay.replay_pospal,
    "reupsert": replay.reupsert,
    "limit_qianhub": limits.limit_qianhub,
    "limit_pospal": limits.limit_pospal,
    "baselines": baselines.run,
    "profile": profile_replay,
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_here(name: str, config: BenchConfig) -> dict[str, object]:
    figures = STAGES[name](config)
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def stage_main(name: str, workdir: Path) -> None:
    """Entry of a stage process."""
    figures = run_here(name, BenchConfig.load(workdir))
    (workdir / f"stage-{name}.json").write_text(json.dumps(figures, indent=2, default=str))


def run_stage(name: str, config: BenchConfig, *, in_process: bool) -> dict[str, object]:
    print(f"[bench] {name} ...", flush=True)
    if in_process:
        return run_here(name, config)
    config.save()
    done = subprocess.run(
        [sys.executable, "-m", "etl.bench", "--stage", name, str(config.root)], check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench stage {name} failed (exit {done.returncode})")
    figures: dict[str, object] = json.loads((config.root / f"stage-{name}.json").read_text())
    return figures


REPEATED = {"replay_qianhub": "bills_per_s", "limit_qianhub": "units_per_s"}
"""The stages behind the ``bench:`` line's ratios, and the rate each reports: run
``config.runs`` times, because one run on a shared 2-core machine can be 10% off the next."""

_PEAKS = ("peak_rss_mb", "tree_peak_rss_mb", "worker_peak_rss_mb")


def run_stage_repeated(name: str, config: BenchConfig, *, in_process: bool) -> dict[str, object]:
    """A stage's figures; for a :data:`REPEATED` stage, those of its median run (by rate, the
    lower middle one for an even count), with every run's rate in ``run_rates`` (in run order)
    and the highest peak memory of any run (memory is judged by its worst run)."""
    rate = REPEATED.get(name)
    if rate is None or config.runs <= 1:
        return run_stage(name, config, in_process=in_process)
    runs = [run_stage(name, config, in_process=in_process) for _ in range(config.runs)]
    rates = [float(str(run[rate])) for run in runs]
    median = statistics.median_low(rates)
    figures = dict(runs[rates.index(median)])
    figures["run_rates"] = rates
    for peak in _PEAKS:
        marks = [float(str(run[peak])) for run in runs if run.get(peak) is not None]
        if marks:
            figures[peak] = max(marks)
    return figures
