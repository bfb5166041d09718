"""The prose of ``docs/performance.md``: what each stage that ran measured, and the raw
limit in context, with the figures each description needs (:mod:`etl.bench.report` lays out
the page and its tables)."""

from __future__ import annotations

import os
from typing import Any


def limit_context(results: dict[str, Any]) -> list[str]:
    """The raw limit beside the bills/s target: the floor of this machine, with its parse on one
    core as measured, and derived with the parse spread over every core."""
    lim = results.get("limit_qianhub")
    if not lim:
        return []
    cores = os.cpu_count() or 1
    spread = lim["units"] / (lim["parse_s"] / cores + lim["insert_s"])
    return [
        "",
        f"For scale: the raw limit of this machine (below) is {lim['units_per_s']:,.0f} "
        "bills/s, parse and bulk insert alone, no validation, no upsert, no Parquet; with its "
        f"parse spread evenly over all {cores} cores (derived, not measured) it would be "
        f"{spread:,.0f} bills/s.",
        *_native_against_limit(results, lim),
    ]


def _native_against_limit(results: dict[str, Any], lim: dict[str, Any]) -> list[str]:
    """The native flattener beside the limit's parse: both on one core, per bill."""
    profile = results.get("profile") or {}
    if not profile.get("native") or not profile.get("flatten_fast_s"):
        return []
    native = profile["bills"] / profile["flatten_fast_s"]
    parse = lim["units"] / lim["parse_s"]
    return [
        "",
        f"The limit's parse is not a floor for the native flattener: on one core it reads, "
        f"checks and flattens {native:,.0f} bills/s (stage `profile`, every record of the "
        f"day included), where orjson only parses {parse:,.0f} bills/s into Python objects. "
        "A parser for these documents that builds no Python object per value does less "
        "work than a generic one, so `vs_limit` below 1x is possible and means the loader is "
        "bound by DuckDB and the lake, not by parsing.",
    ]


def _lake_rewrite(sizes: dict[str, Any]) -> str:
    """How a replay's Parquet files are written (``--no-lake-append``, ``--lake-follow``)."""
    if sizes.get("lake_append", True):
        new = (
            "each new partition written from the rows loaded, on a thread beside the merges, "
            "and renamed into place at the end (`etl/warehouse/lake_append.py`); any other "
            "partition read back from DuckDB "
        )
    else:
        new = "every partition read back from DuckDB (--no-lake-append) "
    if sizes.get("lake_follow", False):
        return new + (
            "behind the loads (--lake-follow), on a thread, each partition once the commits "
            "have moved past it, and the rest at the end, partitions on several threads"
        )
    return new + "at the end, partitions on several threads"


def stage_notes(results: dict[str, Any], s: dict[str, Any], sizes: dict[str, Any]) -> list[str]:
    """What each stage that ran measures, with the figures its description needs."""
    notes = [
        "- **replay**: QianHub through `replay_days` (what `pos-warehouse replay` runs), "
        "Pospal through `replay_account_days` (the same for Pospal), every unit into an empty "
        "warehouse through one open `Warehouse` (read copy off): inflate (ISA-L) + manifest "
        "check (sha256 of each file as landed), "
        "validation and flatten (rejects included), upsert (consecutive shop-days or "
        f"account-days stacked up to {sizes.get('stack_records', 20_000):,} records per "
        "transaction, one merge per entity, each unit still whole or absent with its own log "
        "row), and the Parquet files rewritten (per table and business date, and per "
        f"account for Pospal: {_lake_rewrite(sizes)}). "
        "Flatten workers "
        "(one per core) read and flatten the next units while the loading process merges: "
        "for QianHub, threads of the loading process running the native flattener "
        "(`etl/flatten/native/`, without the GIL); for Pospal, worker processes. "
        "Timed from the open warehouse to its close (DuckDB's checkpoint included). rows/s "
        "counts rows written to every table (bills, orders, details, payments, ...). Peak "
        "RSS is the stage process's own "
        "high-water mark; for a replay it is the loading process and its workers together, "
        "sampled every 50 ms from /proc (the `bench:` line's figure), followed in brackets by "
        "the per-process high-water marks (loader + workers x the largest worker's) where "
        "the workers are processes."
    ]
    runs = sizes.get("runs", 1)
    if runs > 1:
        notes.append(
            f"- **runs**: the QianHub replay and its raw limit ran {runs} times each, every "
            "run in a new process (the replay into a new warehouse); their rates are the "
            "median run's, with the slowest and fastest run beside them, and the ratios of the "
            "`bench:` line come from the medians. Peak memory is the highest of any run."
        )
    if s.get("reupsert_ratio"):
        notes.append(
            "- **re-upsert**: the first day landed again with one bill in ten re-checked-out "
            "(`undo_index + 1`, paid a minute later), replayed into a warehouse holding only "
            f"that day, then into a copy of the replay warehouse holding all {sizes['days']} "
            f"days (ratio large/small {s['reupsert_ratio']:.2f}x)."
        )
    limit_q = results.get("limit_qianhub")
    if limit_q:
        notes.append(
            f"- **raw limit**: {limit_q['parser']} parse of the same pages, garbage "
            f"collector paused ({limit_q['parse_s']:.2f} s), plus `CREATE TABLE AS` from the "
            "already flattened Arrow tables into a DuckDB file, timed to its close "
            f"({limit_q['insert_s']:.2f} s), no upsert, no Parquet. Reading + gunzip "
            f"({limit_q['read_gunzip_s']:.2f} s) is left out of the limit."
        )
    if "baselines" in results:
        notes.append(
            "- **baselines**: on the first shop-days of the same landing (subsets, to keep "
            "the run short: at their rates the whole world would take tens of minutes); "
            'dlt `write_disposition="merge"` on `bill_id`, '
            "DuckDB destination, nested tables as dlt makes them, pages parsed with orjson "
            "(money as floats, which favours dlt); naive = stdlib json + `pandas.json_normalize` "
            "(bills, orders, top-level details) + DuckDB INSERT, no upsert. The three baselines "
            "share one process, so they share its peak RSS."
        )
    fetch = results.get("fetch")
    if fetch:
        generated = (
            f"worlds generated before timing, {fetch['generate_s']:.0f} s"
            if fetch.get("generate_s") is not None
            else "a world this large is generated while served, so these figures include generation"
        )
        notes.append(
            f"- **fetch**: the simulators in their own process ({generated}), "
            "the real clients landing every page with "
            f"{fetch['workers']} units in flight; Pospal's daily quota is lifted for the bench "
            "(300 calls a day per appId would spread this world over several days)."
        )
    return notes
