"""Baselines on the same landed QianHub pages: dlt, and a naive json + pandas path.

Both run on the first shop-days of the landing (whole units, date by date) until they hold
``--dlt-bills`` / ``--naive-bills`` bills, because at their speed the full world would take
hours; their rate is bills per second over that subset, which is what the ratios compare.

* dlt: a resource of the bill documents (``json`` of each ``cashier.finish`` record), with
  ``write_disposition="merge"`` on ``bill_id``, into a DuckDB destination, nested lists left to
  dlt's own child tables. Two configurations: Parquet loader files (its fastest) and the
  default. Pages are parsed with orjson, so money reaches dlt as floats -- this favours dlt.
* naive: stdlib ``json``, ``pandas.json_normalize`` for bills, orders and top-level details
  (deeper lists stay JSON text), and a DuckDB ``INSERT`` per unit, no upsert.

dlt and pandas are benchmark-only dependencies (the ``bench`` extra); without them these
baselines are skipped and the report says so.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import json
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from etl.bench.limits import parser
from etl.bench.world import BenchConfig
from etl.raw import MANIFEST


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _subset(config: BenchConfig, bills: int) -> tuple[list[Path], int]:
    """Whole shop-day fetch folders, in date order, holding at least ``bills`` bills."""
    root = config.raw_dir / "qianhub" / "batch-query"
    folders = sorted(p.parent for p in root.glob(f"business_date=*/*/*/{MANIFEST}"))
    per_unit = config.shops()[1]
    count = min(len(folders), max(1, math.ceil(bills / per_unit)))
    return folders[:count], count * per_unit


def _bodies(folder: Path) -> Iterator[bytes]:
    for file in sorted(folder.glob("*.json.gz")):
        yield gzip.decompress(file.read_bytes())


def _bill_docs(folders: list[Path]) -> Iterator[Any]:
    _, parse = parser()
    for folder in folders:
        for body in _bodies(folder):
            for record in parse(body):  # type: ignore[attr-defined]
                if record.get("boh_type") == "cashier.finish":
                    yield record["json"]


def run_dlt(config: BenchConfig, bills: int, file_format: str | None) -> dict[str, object]:
    # dlt sends anonymous usage telemetry by default; a benchmark has no business on a network.
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    dlt = importlib.import_module("dlt")  # by name: optional, and without type stubs

    folders, subset = _subset(config, bills)
    name = f"bench_{file_format or 'default'}"
    work = config.root / "dlt" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(work / "dlt.duckdb")),
        dataset_name="qianhub",
        pipelines_dir=str(work / "pipelines"),
    )
    resource = dlt.resource(
        _bill_docs(folders), name="bills", write_disposition="merge", primary_key="bill_id"
    )
    began = time.perf_counter()
    if file_format is None:
        pipeline.run(resource)
    else:
        pipeline.run(resource, loader_file_format=file_format)
    seconds = time.perf_counter() - began
    with duckdb.connect(str(work / "dlt.duckdb"), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'qianhub' "
            "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\'"
        ).fetchall()
        rows = sum(
            con.execute(f'SELECT count(*) FROM qianhub."{t}"').fetchall()[0][0] for (t,) in tables
        )
    return {
        "config": f"loader_file_format={file_format or 'default'}",
        "bills": subset,
        "rows": rows,
        "tables": len(tables),
        "seconds": seconds,
        "bills_per_s": subset / seconds,
        "rows_per_s": rows / seconds,
    }


def _text_columns(frame: Any) -> Any:
    """Lists and dicts left by json_normalize become JSON text (DuckDB cannot bind them)."""
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(type).isin([list, dict]).any():
            frame[column] = frame[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    return frame


def run_naive(config: BenchConfig, bills: int) -> dict[str, object]:
    pd = importlib.import_module("pandas")  # by name: optional, and without type stubs

    folders, subset = _subset(config, bills)
    target = config.root / "naive.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    rows = 0
    began = time.perf_counter()
    for folder in folders:
        docs = [
            record["json"]
            for body in _bodies(folder)
            for record in json.loads(body)
            if record.get("boh_type") == "cashier.finish"
        ]
        frames = {
            "bills": pd.json_normalize(docs, sep="_"),
            "orders": pd.json_normalize(docs, record_path="orders", meta=["bill_id"], sep="_"),
            "details": pd.json_normalize(
                docs, record_path=["orders", "details"], meta=["bill_id"], sep="_"
            ),
        }
        for table, frame in frames.items():
            frame = _text_columns(frame)
            con.register("frame_in", frame)
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
            ).fetchall()[0][0]
            if exists:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame_in")
            else:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame_in")
            con.unregister("frame_in")
            rows += len(frame)
    seconds = time.perf_counter() - began
    con.close()
    return {
        "config": "json + pandas.json_normalize + DuckDB INSERT",
        "bills": subset,
        "rows": rows,
        "seconds": seconds,
        "bills_per_s": subset / seconds,
        "rows_per_s": rows / seconds,
    }


def run(config: BenchConfig) -> dict[str, object]:
    figures: dict[str, object] = {}
    if config.skip_dlt:
        figures["dlt_skipped"] = "--skip-dlt"
    elif not available("dlt"):
        figures["dlt_skipped"] = "dlt is not installed (pip install -e '.[bench]')"
    else:
        figures["dlt_parquet"] = run_dlt(config, config.dlt_bills, "parquet")
        figures["dlt_default"] = run_dlt(config, config.dlt_default_bills, None)
    if config.skip_naive:
        figures["naive_skipped"] = "--skip-naive"
    elif not available("pandas"):
        figures["naive_skipped"] = "pandas is not installed (pip install -e '.[bench]')"
    else:
        figures["naive"] = run_naive(config, config.naive_bills)
    return figures
