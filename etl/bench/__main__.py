"""``python -m etl.bench``: the loader benchmark (``make bench``); measures, never asserts.

Generates a deterministic QianHub and Pospal world with the simulator's generators, lands its
raw pages through the real clients over loopback (the fetch stage), then, in the same run,
measures replay (raw -> flatten -> DuckDB + Parquet), re-upsert into a small and a 10x larger
table, the raw limit (orjson parse + bulk Arrow insert), and the dlt and naive baselines on the
same pages. Prints a table, writes ``--out`` (``docs/performance.md``), and ends with::

    bench: replay_bills_per_s=<n> vs_dlt=<x>x vs_naive=<y>x vs_limit=<z>x peak_rss_mb=<m>

Each stage runs in its own process (its peak RSS is its own) unless ``--in-process``.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# The stages, the simulators and DuckDB are imported where they are used, not here: the
# replay's flatten workers are spawned, and a spawned process imports the parent's main
# module, so every import here would be in every worker (about 50 MB each).

ORDER = (
    "fetch",
    "replay_qianhub",
    "replay_pospal",
    "reupsert",
    "limit_qianhub",
    "limit_pospal",
    "baselines",
)


def build_parser() -> argparse.ArgumentParser:
    from etl.bench.world import BENCH_MEMORY_LIMIT  # here, not at the top: see above

    parser = argparse.ArgumentParser(prog="python -m etl.bench", description=__doc__)
    parser.add_argument("--bills", type=int, default=200_000, help="QianHub bills in the world")
    parser.add_argument("--tickets", type=int, default=200_000, help="Pospal tickets")
    parser.add_argument("--days", type=int, default=10, help="business days (the 10x table)")
    parser.add_argument("--fetch-workers", type=int, default=4, help="units fetched at once")
    parser.add_argument("--dlt-bills", type=int, default=10_000, help="dlt Parquet subset")
    parser.add_argument(
        "--dlt-default-bills", type=int, default=2_000, help="dlt default-format subset"
    )
    parser.add_argument("--naive-bills", type=int, default=20_000, help="naive path subset")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile stage")
    parser.add_argument(
        "--memory-limit",
        default=BENCH_MEMORY_LIMIT,
        help="DuckDB memory_limit of the replay stages",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs of the QianHub replay and of its raw limit; their medians are reported",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="flatten worker processes of the replay stages (0: one per core)",
    )
    parser.add_argument(
        "--stack-records",
        type=int,
        default=20_000,
        help="records of shop-days or account-days a replay merges in one transaction",
    )
    parser.add_argument(
        "--lake-follow",
        action="store_true",
        help="replays rewrite the Parquet lake behind their loads "
        "(POS_WAREHOUSE_REPLAY_LAKE_FOLLOW=true)",
    )
    parser.add_argument(
        "--no-lake-append",
        dest="lake_append",
        action="store_false",
        help="replays read every new Parquet partition back from DuckDB at the end instead "
        "of writing it from their loads (POS_WAREHOUSE_REPLAY_LAKE_APPEND=false)",
    )
    parser.add_argument(
        "--stages",
        help="comma-separated stages to run, in their usual order (default: all); e.g. "
        "fetch,replay_qianhub for the peak RSS of a large replay. Stages after fetch need "
        "--workdir of a run that fetched",
    )
    parser.add_argument("--out", type=Path, default=Path("docs/performance.md"))
    parser.add_argument("--workdir", type=Path, help="kept after the run (default: a temp dir)")
    parser.add_argument("--in-process", action="store_true", help="no stage processes")
    parser.add_argument("--stage", nargs=2, metavar=("NAME", "WORKDIR"), help=argparse.SUPPRESS)
    parser.add_argument("--serve", metavar="WORKDIR", help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from etl.bench.stages import run_stage_repeated
    from etl.bench.world import BenchConfig

    config = BenchConfig(
        workdir=str(workdir),
        bills=args.bills,
        tickets=args.tickets,
        days=args.days,
        fetch_workers=args.fetch_workers,
        dlt_bills=args.dlt_bills,
        dlt_default_bills=args.dlt_default_bills,
        naive_bills=args.naive_bills,
        skip_dlt=args.skip_dlt,
        skip_naive=args.skip_naive,
        profile=not args.no_profile,
        memory_limit=args.memory_limit,
        workers=args.workers,
        stack_records=args.stack_records,
        lake_follow=args.lake_follow,
        lake_append=args.lake_append,
        runs=max(1, args.runs),
    )
    stages = [*ORDER, *(("profile",) if config.profile else ())]
    if args.stages:
        wanted = [name.strip() for name in args.stages.split(",") if name.strip()]
        unknown = sorted(set(wanted) - {*ORDER, "profile"})
        if unknown:
            raise SystemExit(f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(ORDER)}")
        stages = [name for name in (*ORDER, "profile") if name in wanted]
    shops, bills_per_day = config.shops()
    stores, tickets_per_day = config.stores()
    print(
        f"[bench] world: {shops} shops x {config.days} days x {bills_per_day} bills = "
        f"{config.total_bills():,} bills; {stores} stores x {config.days} days x "
        f"{tickets_per_day} tickets = {config.total_tickets():,} tickets; workdir {workdir}",
        flush=True,
    )
    results: dict[str, Any] = {}
    for name in stages:
        results[name] = run_stage_repeated(name, config, in_process=args.in_process)
    results["sizes"] = {
        "bills": config.total_bills(),
        "tickets": config.total_tickets(),
        "days": config.days,
        "shops": shops,
        "bills_per_day": bills_per_day,
        "stores": stores,
        "tickets_per_day": tickets_per_day,
        "memory_limit": config.memory_limit,
        "workers": config.workers,
        "stack_records": config.stack_records,
        "lake_follow": config.lake_follow,
        "lake_append": config.lake_append,
        "runs": config.runs,
    }
    return results


def main(argv: list[str] | None = None) -> int:
    from etl.bench import fetch, report
    from etl.bench.stages import stage_main

    args = build_parser().parse_args(argv)
    if args.serve:
        fetch.serve(Path(args.serve))
        return 0
    if args.stage:
        stage_main(args.stage[0], Path(args.stage[1]))
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pos-bench-"))
    try:
        results = run(args, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    command = "python -m etl.bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    print(report.table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.markdown(results, command.strip(), results["sizes"]))
    print(f"[bench] wrote {args.out}")
    print(report.bench_line(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
