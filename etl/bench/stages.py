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
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from etl.bench import baselines, fetch, limits, replay
from etl.bench.world import BenchConfig
from etl.raw import RawStore
from etl.warehouse import Warehouse

PROFILE_LINES = 30


def profile_replay(config: BenchConfig) -> dict[str, object]:
    """cProfile of replaying the first day (every shop) into an empty warehouse."""
    home = config.root / "profile"
    shutil.rmtree(home, ignore_errors=True)
    profiler = cProfile.Profile()
    with Warehouse.open(replay.settings_for(home)) as wh:
        profiler.enable()
        replay._replay_qianhub_days(wh, RawStore(config.raw_dir), config, config.dates()[:1])
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(PROFILE_LINES)
    text = out.getvalue()
    return {"text": text[text.index("   ncalls") :] if "   ncalls" in text else text}


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
