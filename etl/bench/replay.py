"""Replay and re-upsert stages: the loader's real path over the landed pages.

Replay calls ``replay_days`` / ``replay_account_days`` (what ``pos-warehouse replay`` runs)
-- read the raw landing (inflate, manifest check), flatten, upsert into DuckDB in stacks of units
(each unit whole or absent), rewrite the touched Parquet partitions behind the loads and at
the end -- for
every unit, into an empty warehouse, through one open
:class:`~etl.warehouse.Warehouse` as a backfill would. The read copy for analysts is off: it is
a file copy on a timer, not part of loading.

Re-upsert lands the first day again with one bill in ten re-checked-out (``undo_index + 1``,
paid a minute later, as the vendor re-sends it) and replays that day into a warehouse holding
only the first day, then into a copy of the replay warehouse holding every day: the cost
should follow the batch, not the table.
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import time
from decimal import Decimal
from pathlib import Path

import msgspec

from etl.bench.rss import TreeRssSampler
from etl.bench.world import (
    BENCH_MEMORY_LIMIT,
    BenchConfig,
    account_name,
    pospal_world,
    qianhub_world,
)
from etl.config import WarehouseSettings
from etl.flatten.qianhub_native import AVAILABLE as NATIVE_FLATTEN
from etl.pipeline.pospal_replay import replay_account_days
from etl.pipeline.qianhub import BATCH_ENDPOINT, replay_days, shop_unit
from etl.pipeline.workers import replay_workers
from etl.raw import RawStore
from etl.simulator.qianhub_common import fmt_time, parse_time
from etl.warehouse import LoadResult, Warehouse, new_load_id
from etl.warehouse.store import total_rows

_DECODE = msgspec.json.Decoder(float_hook=Decimal)  # money stays exact through the rewrite
_ENCODE = msgspec.json.Encoder(decimal_format="number")  # as the simulator encodes it


def settings_for(
    home: Path,
    memory_limit: str = BENCH_MEMORY_LIMIT,
    workers: int = 0,
    stack_records: int = 20_000,
    lake_follow: bool = False,
    lake_append: bool = True,
) -> WarehouseSettings:
    """Warehouse settings of a bench home: no read copy (a file copy on a timer, not loading),
    DuckDB capped at ``memory_limit``, ``workers`` flatten processes (0: one per core),
    replay stacks of ``stack_records``, the lake rewritten behind the loads or not, new
    partitions written from the loads or read back from DuckDB."""
    return WarehouseSettings(
        home=home,
        reader_copy=False,
        duckdb_memory_limit=memory_limit,
        replay_workers=workers,
        replay_stack_records=stack_records,
        replay_lake_follow=lake_follow,
        replay_lake_append=lake_append,
    )


def qianhub_home(config: BenchConfig) -> Path:
    return config.root / "replay-qianhub"


def _replay_qianhub_days(
    wh: Warehouse, raw: RawStore, config: BenchConfig, days: list[dt.date]
) -> list[LoadResult]:
    settings = settings_for(
        Path(wh.lake_dir).parent,
        config.memory_limit,
        config.workers,
        config.stack_records,
        config.lake_follow,
        config.lake_append,
    )
    results = []
    units = [(day, shop) for day in days for shop in qianhub_world(config).shop_ids()]
    for day, shop, result in replay_days(wh, raw, units, settings=settings):
        if result is None:
            raise SystemExit(f"no raw landing for shop {shop} on {day}: run the fetch stage")
        results.append(result)
    return results


def _figures(
    results: list[LoadResult], seconds: float, unit_name: str, units: int
) -> dict[str, object]:
    rows = total_rows(results)
    total = sum(rows.values())
    return {
        unit_name: units,
        "records": sum(r.records for r in results),
        "rows": total,
        "table_rows": rows,
        "rejects": sum(r.rejects for r in results),
        "seconds": seconds,
        f"{unit_name}_per_s": units / seconds,
        "rows_per_s": total / seconds,
    }


def replay_qianhub(config: BenchConfig) -> dict[str, object]:
    home = qianhub_home(config)
    shutil.rmtree(home, ignore_errors=True)
    raw = RawStore(config.raw_dir)
    began = time.perf_counter()
    with TreeRssSampler() as sampler, Warehouse.open(settings_for(home, config.memory_limit)) as wh:
        opened = time.perf_counter()
        results = _replay_qianhub_days(wh, raw, config, config.dates())
    # Timed to the close: DuckDB folds its log into the file then, and that is load work.
    seconds = time.perf_counter() - opened
    figures = _figures(results, seconds, "bills", config.total_bills())
    figures["open_s"] = opened - began
    return figures | _worker_figures(config, sampler, threads=NATIVE_FLATTEN)


def _worker_figures(
    config: BenchConfig, sampler: TreeRssSampler, *, threads: bool = False
) -> dict[str, object]:
    """A replay's flatten workers and the peak RSS of the loader and its workers together.
    ``threads``: the workers were threads of the loading process (QianHub with the native
    flattener), so the process's own mark is the whole; else processes (Pospal, or QianHub
    without the extension)."""
    return {
        "workers": config.workers or replay_workers(),
        "flatten_threads": threads,
        "worker_peak_rss_mb": children_peak_rss_mb(),
        "tree_peak_rss_mb": sampler.peak_mb,
    }


def children_peak_rss_mb() -> float:
    """High-water mark of the largest finished child process (a flatten worker)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def replay_pospal(config: BenchConfig) -> dict[str, object]:
    home = config.root / "replay-pospal"
    shutil.rmtree(home, ignore_errors=True)
    raw = RawStore(config.raw_dir)
    settings = settings_for(
        home,
        config.memory_limit,
        config.workers,
        config.stack_records,
        config.lake_follow,
        config.lake_append,
    )
    stores = len(pospal_world(config).stores())
    units = [(day, account_name(i)) for day in config.dates() for i in range(1, stores + 1)]
    results: list[LoadResult] = []
    with TreeRssSampler() as sampler, Warehouse.open(settings) as wh:
        began = time.perf_counter()
        for _, _, loaded in replay_account_days(wh, raw, units, settings=settings):
            results += loaded.values()
    seconds = time.perf_counter() - began  # to the close, as for QianHub
    figures = _figures(results, seconds, "tickets", config.total_tickets())
    return figures | _worker_figures(config, sampler)


def recheckout_body(body: bytes, every: int = 10) -> tuple[bytes, int]:
    """The body with every ``every``-th bill's newest version re-checked-out; (body, changed)."""
    records = _DECODE.decode(body)
    newest: dict[int, int] = {}
    for i, record in enumerate(records):
        if record.get("boh_type") == "cashier.finish":
            newest[record["json"]["bill_id"]] = i
    changed = 0
    for n, index in enumerate(newest.values()):
        if n % every:
            continue
        bill = dict(records[index]["json"])
        # Shop-local naive times, as the vendor writes them.
        paid = parse_time(bill["cashier_on"]) + dt.timedelta(minutes=1)
        bill["cashier_on"] = fmt_time(paid)
        bill["undo_index"] += 1
        records[index] = {**records[index], "json": bill}
        changed += 1
    return _ENCODE.encode(records), changed


def land_recheckouts(config: BenchConfig) -> int:
    """Land the first day again, one bill in ten re-checked-out; returns the bills changed."""
    raw, target = RawStore(config.raw_dir), RawStore(config.recheckout_raw_dir)
    shutil.rmtree(config.recheckout_raw_dir, ignore_errors=True)
    day, changed = config.dates()[0], 0
    for shop in qianhub_world(config).shop_ids():
        landed = raw.latest("qianhub", BATCH_ENDPOINT, day.isoformat(), shop_unit(shop))
        assert landed is not None, f"shop {shop} was not landed for {day}"
        fetch = target.start(
            "qianhub", BATCH_ENDPOINT, day.isoformat(), shop_unit(shop), new_load_id()
        )
        for (begin, end), body in zip(landed.windows, landed.bodies(), strict=True):
            new_body, count = recheckout_body(body)
            fetch.add(begin, end, new_body)
            changed += count
        fetch.complete()
    return changed


def reupsert(config: BenchConfig) -> dict[str, object]:
    """Re-upsert the re-checked-out first day into a 1-day and a ``days``-day warehouse."""
    changed = land_recheckouts(config)
    day = config.dates()[0]
    again = RawStore(config.recheckout_raw_dir)
    small_home, large_home = config.root / "reupsert-small", config.root / "reupsert-large"
    shutil.rmtree(small_home, ignore_errors=True)
    shutil.rmtree(large_home, ignore_errors=True)
    # A copy: the replay warehouse stays what replay made (the smoke test compares it).
    shutil.copytree(qianhub_home(config), large_home)
    figures: dict[str, object] = {"changed_bills": changed, "days_in_large": config.days}
    for name, home in (("small", small_home), ("large", large_home)):
        with Warehouse.open(settings_for(home, config.memory_limit)) as wh:
            if name == "small":
                _replay_qianhub_days(wh, RawStore(config.raw_dir), config, [day])
            bills = wh.con.execute("SELECT count(*) FROM qianhub.bills").fetchall()[0][0]
            began = time.perf_counter()
            results = _replay_qianhub_days(wh, again, config, [day])
            seconds = time.perf_counter() - began
        figures[name] = {
            "table_bills": bills,
            "seconds": seconds,
            "rows": sum(total_rows(results).values()),
        }
    return figures
