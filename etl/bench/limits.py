"""The raw limit: what no loader of these pages can beat on this machine.

Two timed parts, summed: parsing every landed page with orjson (generic JSON, no validation,
no exact decimals), with Python's cyclic garbage collector paused as a careful parser would
(a page is hundreds of thousands of dicts and lists, and each burst of them otherwise starts a
collection that walks them all again: measured on the bench's pages, 75 against 128 MB/s), and
a DuckDB bulk insert (``CREATE TABLE AS`` from Arrow, no keys, no upsert, no Parquet) of the
tables the flattener already produced, timed to the file's close as the replay is (its
checkpoint is part of persisting them). Reading and gunzipping the
pages is timed separately and left out of the limit, as is the flattening itself. Without
orjson (the bench extra not installed) msgspec's generic decoder stands in, and says so.
"""

from __future__ import annotations

import gc
import gzip
import importlib
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import msgspec
import pyarrow as pa

from etl.batch import FlatBatch
from etl.bench.world import BenchConfig
from etl.business_day import BusinessDayRule
from etl.flatten.pospal import flatten_ticket_pages
from etl.flatten.qianhub import flatten_batch_bodies
from etl.raw import RawStore


def parser() -> tuple[str, Callable[[bytes], object]]:
    try:  # imported by name: the bench extra is optional and has no type stubs here
        orjson = importlib.import_module("orjson")
    except ImportError:
        return "msgspec (orjson not installed)", msgspec.json.decode
    loads: Callable[[bytes], object] = orjson.loads
    return "orjson", loads


def _fetch_dirs(config: BenchConfig, vendor: str, endpoint: str) -> list[Path]:
    """The newest complete fetch of every unit: the pages a replay reads. A unit fetched again
    (the fetch stage run twice on one workdir) keeps its older fetches, which must not be
    parsed and inserted too: that would double the limit's work and flatter ``vs_limit``."""
    raw = RawStore(config.raw_dir)
    folders = []
    for partition in sorted((config.raw_dir / vendor / endpoint).glob("business_date=*")):
        day = partition.name.removeprefix("business_date=")
        for unit in raw.units(vendor, endpoint, day):
            landed = raw.latest(vendor, endpoint, day, unit)
            assert landed is not None  # units() lists units with a complete fetch
            folders.append(landed.path)
    return folders


def _bodies(folder: Path) -> list[bytes]:
    return [gzip.decompress(f.read_bytes()) for f in sorted(folder.glob("*.json.gz"))]


def _parse_all(parse: Callable[[bytes], object], bodies: list[bytes]) -> None:
    """Parse each body, dropping it at once, with the cyclic collector paused (see above)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        for body in bodies:
            parse(body)
    finally:
        if enabled:
            gc.enable()


def _limit(
    config: BenchConfig,
    vendor: str,
    endpoint: str,
    flatten: Callable[[list[bytes], Path], FlatBatch],
    units: int,
) -> dict[str, object]:
    name, parse = parser()
    read_s = parse_s = 0.0
    batches = []
    for folder in _fetch_dirs(config, vendor, endpoint):  # one unit at a time: bounded memory
        began = time.perf_counter()
        bodies = _bodies(folder)
        parsed = time.perf_counter()
        _parse_all(parse, bodies)
        read_s, parse_s = read_s + parsed - began, parse_s + time.perf_counter() - parsed
        batches.append(flatten(bodies, folder))  # not timed: its output is the insert's input
    tables = {
        table: pa.concat_tables([b.tables[table] for b in batches]) for table in batches[0].tables
    }
    del batches
    target = config.root / f"limit-{vendor}.duckdb"  # a file, as the warehouse is
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    began = time.perf_counter()
    for table, arrow in tables.items():
        con.register("arrow_in", arrow)
        con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM arrow_in')
        con.unregister("arrow_in")
    con.close()
    insert_s = time.perf_counter() - began
    rows = sum(t.num_rows for t in tables.values())
    seconds = parse_s + insert_s
    return {
        "parser": name,
        "read_gunzip_s": read_s,
        "parse_s": parse_s,
        "insert_s": insert_s,
        "seconds": seconds,
        "rows": rows,
        "units": units,
        "units_per_s": units / seconds,
        "rows_per_s": rows / seconds,
    }


def limit_qianhub(config: BenchConfig) -> dict[str, object]:
    rule = BusinessDayRule()
    return _limit(
        config,
        "qianhub",
        "batch-query",
        lambda bodies, _: flatten_batch_bodies(bodies, rule),
        config.total_bills(),
    )


def limit_pospal(config: BenchConfig) -> dict[str, object]:
    rule = BusinessDayRule()

    def flatten(bodies: list[bytes], folder: Path) -> FlatBatch:
        account = folder.parent.name.removeprefix("account=")
        return flatten_ticket_pages(bodies, rule, account=account)

    return _limit(config, "pospal", "queryTicketPages", flatten, config.total_tickets())
