"""The bench's outputs: a table on stdout, ``docs/performance.md``, and the ``bench:`` line.

Ratios compare bills per second: ``vs_dlt`` and ``vs_naive`` are how many times faster the
replay is than the baseline (higher is better); ``vs_limit`` is how many times slower it is than
the raw limit (1.0 would be the floor; lower is better).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from etl.bench.notes import limit_context, stage_notes

PACKAGES = ("duckdb", "pyarrow", "msgspec", "orjson", "dlt", "pandas")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        # Other work on the machine slows every stage alike only roughly: read with care.
        "load average (1/5/15 min) when the report was written": load,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        **{p: _version(p) for p in PACKAGES},
    }


def _ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value else "skipped"


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The headline figures and ratios (None for a stage that was not run)."""
    replay = results.get("replay_qianhub")
    rate = replay["bills_per_s"] if replay else None
    base = results.get("baselines", {})
    dlt = base.get("dlt_parquet", {}).get("bills_per_s")
    naive = base.get("naive", {}).get("bills_per_s")
    limit = results.get("limit_qianhub", {}).get("units_per_s")
    reupsert = results.get("reupsert")
    return {
        "replay_bills_per_s": rate,
        "vs_dlt": rate / dlt if rate and dlt else None,
        "vs_naive": rate / naive if rate and naive else None,
        "vs_limit": limit / rate if rate and limit else None,
        "peak_rss_mb": _replay_rss(replay) if replay else None,
        "reupsert_ratio": reupsert["large"]["seconds"] / reupsert["small"]["seconds"]
        if reupsert
        else None,
    }


def _replay_rss(replay: dict[str, Any]) -> float:
    """Peak RSS of the replay: the loading process and its flatten workers together, as
    sampled (their high-water marks peak at different times); without a sample (no /proc),
    the conservative bound: the loader's mark plus each worker at the largest one's."""
    if replay.get("tree_peak_rss_mb"):
        return float(replay["tree_peak_rss_mb"])
    workers = replay.get("workers", 1)
    return float(replay["peak_rss_mb"] + workers * replay.get("worker_peak_rss_mb", 0))


def _replay_rss_cell(q: dict[str, Any]) -> str:
    if q.get("flatten_threads"):
        threads = q.get("workers", 1)
        plural = "thread" if threads == 1 else "threads"
        return f"{_replay_rss(q):,.0f} MB (one process, {threads} flatten {plural})"
    marks = (
        f"{q['peak_rss_mb']:,.0f} + {q.get('workers', 1)} x {q.get('worker_peak_rss_mb', 0):,.0f}"
    )
    if q.get("tree_peak_rss_mb"):
        return f"{q['tree_peak_rss_mb']:,.0f} MB ({marks})"
    return f"{marks} MB"


def _lake_summary(sizes: dict[str, Any]) -> str:
    """Where a replay's lake files come from, in a few words."""
    when = "behind the loads" if sizes.get("lake_follow", False) else "at the end"
    return (
        f"new partitions from the loads, others {when}" if sizes.get("lake_append", True) else when
    )


def _flatten_path(results: dict[str, Any]) -> str:
    replay = results.get("replay_qianhub") or {}
    if "flatten_threads" not in replay:
        return "not run"
    return "native flattener on threads" if replay["flatten_threads"] else "Python on processes"


def _spread(figures: dict[str, Any]) -> str:
    """`` (median of 3: 7,100-7,900)`` for a stage run several times, else nothing."""
    rates = figures.get("run_rates") or []
    if len(rates) < 2:
        return ""
    return f" (median of {len(rates)}: {min(rates):,.0f}-{max(rates):,.0f})"


def bench_line(results: dict[str, Any]) -> str:
    s = summary(results)
    rate, rss = s["replay_bills_per_s"], s["peak_rss_mb"]
    return (
        f"bench: replay_bills_per_s={f'{rate:.0f}' if rate else 'skipped'} "
        f"vs_dlt={_ratio(s['vs_dlt'])} vs_naive={_ratio(s['vs_naive'])} "
        f"vs_limit={_ratio(s['vs_limit'])} peak_rss_mb={f'{rss:.0f}' if rss else 'skipped'}"
    )


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(stage, size, rate, rows/s, peak RSS) lines of the table."""
    r, out = results, []
    q, p = r.get("replay_qianhub"), r.get("replay_pospal")
    if q:
        out.append(
            (
                "replay QianHub (raw -> flatten -> DuckDB + Parquet)",
                f"{q['bills']:,} bills",
                f"{q['bills_per_s']:,.0f} bills/s{_spread(q)}",
                f"{q['rows_per_s']:,.0f}",
                _replay_rss_cell(q),
            )
        )
    if p:
        out.append(
            (
                "replay Pospal (tickets + orders + pay methods)",
                f"{p['tickets']:,} tickets",
                f"{p['tickets_per_s']:,.0f} tickets/s",
                f"{p['rows_per_s']:,.0f}",
                _replay_rss_cell(p),
            )
        )
    u = r.get("reupsert") or {}
    for name in ("small", "large") if u else ():
        part = u[name]
        out.append(
            (
                f"re-upsert day 1, {u['changed_bills']:,} bills re-checked-out, into {name} table",
                f"{part['table_bills']:,} bills in table",
                f"{part['seconds']:.2f} s",
                f"{part['rows'] / part['seconds']:,.0f}",
                f"{u['peak_rss_mb']:,.0f} MB",
            )
        )
    for key, label, unit in (
        ("limit_qianhub", "raw limit QianHub", "bills"),
        ("limit_pospal", "raw limit Pospal (tickets only)", "tickets"),
    ):
        lim = r.get(key)
        if not lim:
            continue
        out.append(
            (
                f"{label}: {lim['parser']} parse + DuckDB bulk insert",
                f"{lim['units']:,} {unit}",
                f"{lim['units_per_s']:,.0f} {unit}/s{_spread(lim)}",
                f"{lim['rows_per_s']:,.0f}",
                f"{lim['peak_rss_mb']:,.0f} MB",
            )
        )
    base = r.get("baselines", {})
    for key, label in (
        ("dlt_parquet", "dlt merge, Parquet loader files"),
        ("dlt_default", "dlt merge, default loader files"),
        ("naive", "naive json + pandas + DuckDB insert"),
    ):
        if key in base:
            b = base[key]
            out.append(
                (
                    f"{label} (subset)",
                    f"{b['bills']:,} bills",
                    f"{b['bills_per_s']:,.0f} bills/s",
                    f"{b['rows_per_s']:,.0f}",
                    f"{base['peak_rss_mb']:,.0f} MB",
                )
            )
    for key in ("dlt_skipped", "naive_skipped"):
        if key in base:
            out.append((key.replace("_", " "), base[key], "-", "-", "-"))
    f = r.get("fetch") or {}
    for vendor in ("qianhub", "pospal") if f else ():
        v = f[vendor]
        out.append(
            (
                f"fetch {vendor} from the simulator on loopback + land raw",
                f"{v['pages']:,} pages, {v['mb']:,.0f} MB",
                f"{v['pages_per_s']:,.1f} pages/s",
                f"{v['mb_per_s']:,.1f} MB/s",
                f"{f['peak_rss_mb']:,.0f} MB",
            )
        )
    return out


def table(results: dict[str, Any]) -> str:
    header = ("stage", "size", "rate", "rows/s", "peak RSS")
    lines = [header, *rows(results)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


TARGETS = (
    ("replay QianHub bills/s", ">= 30,000", "replay_bills_per_s", "{:,.0f}"),
    ("replay vs dlt (Parquet loader files)", ">= 25x", "vs_dlt", "{:.2f}x"),
    ("raw limit / replay", "<= 1.5x", "vs_limit", "{:.2f}x"),
    ("re-upsert large table / small table", "<= 2x", "reupsert_ratio", "{:.2f}x"),
    ("peak RSS of the replay stage", "<= 1 GiB (at 1M bills)", "peak_rss_mb", "{:,.0f} MB"),
)


def markdown(results: dict[str, Any], command: str, sizes: dict[str, Any]) -> str:
    s = summary(results)
    info = machine()
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Performance",
        "",
        f"Measured by `make bench` on {when}. Command (what `make bench` runs in .venv-bench):",
        "",
        f"    {command}",
        "",
        "Written by `etl/bench/report.py`; re-run the command to refresh. Every figure below",
        "comes from one run over one deterministic world "
        f"({sizes['shops']} QianHub shops x {sizes['days']} days x "
        f"{sizes['bills_per_day']:,} bills, {sizes['stores']} Pospal stores x {sizes['days']} "
        f"days x {sizes['tickets_per_day']:,} tickets), landed raw by the fetch stage. "
        f"DuckDB memory_limit of the replay stages: {sizes.get('memory_limit', 'default')}; "
        f"replays: {sizes.get('workers') or 'one per core'} flatten worker(s) (QianHub: "
        f"{_flatten_path(results)}), stacks "
        f"of {sizes.get('stack_records', 20_000):,} records, "
        f"lake: {_lake_summary(sizes)}. "
        f"Stages run: {', '.join(k for k in results if k != 'sizes')}.",
        "",
        "```",
        bench_line(results),
        "```",
        "",
        "## Against the targets",
        "",
        "| figure | target | measured |",
        "|---|---|---|",
    ]
    for label, target, key, fmt in TARGETS:
        value = s.get(key)
        out.append(f"| {label} | {target} | {fmt.format(value) if value else 'skipped'} |")
    out += [
        "",
        f"The peak RSS target is for 1M bills; this run replayed {sizes['bills']:,} "
        '(`make bench BENCH_ARGS="--bills 1000000"` for that; the default 200,000 bills and '
        "200,000 tickets take about ten minutes on a 2-core machine).",
        *limit_context(results),
        "",
        "## Figures",
        "",
        "| stage | size | rate | rows/s | peak RSS |",
        "|---|---|---|---|---|",
    ]
    out += ["| " + " | ".join(line) + " |" for line in rows(results)]
    out += ["", "## What each stage measures", "", *stage_notes(results, s, sizes)]
    out += ["", "## Machine and versions", ""]
    out += [f"- {key}: {value}" for key, value in info.items()]
    profile = results.get("profile", {})
    if profile.get("flatten"):
        fast, ref = profile["flatten_fast_s"], profile["flatten_reference_s"]
        python = profile.get("flatten_python_s", fast)
        bills = profile["bills"]
        out += [
            "",
            "## Where replay time goes",
            "",
            f"Stage `profile`: the first day ({bills:,} bill versions, every shop) "
            "in one process, no worker. Flatten, every record of the day's pages (the records "
            "that are not bills, and the bills a fast path hands back, through the reference "
            f"flattener): {'native path' if profile.get('native') else 'fast path'} "
            f"{fast:.2f} s ({bills / fast:,.0f} bills/s), Python fast path {python:.2f} s "
            f"({bills / python:,.0f} bills/s), reference flattener alone {ref:.2f} s "
            f"({bills / ref:,.0f} bills/s): {python / fast:.2f}x and {ref / fast:.2f}x. "
            "Load (merge + commit, in stacks of "
            f"{sizes.get('stack_records', 20_000):,} records as the replay loads them): "
            f"{profile['load_s']:.2f} s ({profile['bills'] / profile['load_s']:,.0f} bills/s), "
            f"then the lake rewrite: {profile.get('lake_s', 0):.2f} s. "
            "Then each under cProfile, sorted by own time (profiling slows Python code, not "
            "DuckDB, so shares are indicative).",
            "",
            "Flatten:",
            "",
            "```",
            profile["flatten"].rstrip(),
            "```",
            "",
            "Load:",
            "",
            "```",
            profile["load"].rstrip(),
            "```",
        ]
    return "\n".join(out) + "\n"
