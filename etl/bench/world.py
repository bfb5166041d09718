"""The benchmark's world: how many shops, stores and days make ``--bills`` and ``--tickets``.

Both worlds come from the simulator's own generators with their default behaviour; only the
size knobs they already have are set. Every shop-day has exactly ``bills_per_day`` bills (plus
the ~6% re-checkout versions and three stat reports the generator adds), every store-day exactly
``tickets_per_day`` tickets, so the totals are exact and every run of the same size is the same
world. ``days`` consecutive business dates make the table the re-upsert stage's "10x larger"
one (the default 10 days: one day is a tenth of it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from etl.business_day import BusinessDayRule
from etl.simulator import PospalWorld, QianhubWorld

FIRST_DAY = dt.date(2026, 11, 1)
MAX_BILLS_PER_SHOP_DAY = 1000  # a busy restaurant; the generator allows up to 2000
MAX_TICKETS_PER_STORE_DAY = 2000  # a busy convenience store; the generator allows up to 5000
MAX_SHOPS = 64  # the QianHub generator's district table allows 8 x its districts
BENCH_MEMORY_LIMIT = "192MB"
"""DuckDB's cap in the replay stages, low enough that 1M bills replay under 1 GiB (issue 7's
memory target). Measured at afa62b3, before the lake follower, when the peak was in the lake
rewrite at the end (DuckDB sorting business dates beside Arrow's batches), at 1M bills on 2
cores, one process flattening on threads: 669 MB peak at 128MB, 761-839 MB at 192MB, 936-998
MB at 256MB; the lake of a 5-day replay took 4.0-5.0 s at 128MB against 3.1-3.2 s at 256MB.
The peak is now in the loop, where DuckDB's share is this cap as well."""
QIANHUB_SEED, POSPAL_SEED = 20261123, 20261124
APP_ID = "bench-app"


@dataclass(frozen=True)
class BenchConfig:
    """Sizes and knobs of one run; written to ``config.json`` so stage processes share it."""

    workdir: str
    bills: int = 200_000
    tickets: int = 200_000
    days: int = 10
    fetch_workers: int = 4
    dlt_bills: int = 10_000
    dlt_default_bills: int = 2_000
    naive_bills: int = 20_000
    skip_dlt: bool = False
    skip_naive: bool = False
    profile: bool = True
    memory_limit: str = BENCH_MEMORY_LIMIT
    """DuckDB's memory_limit for the loading process of the replay stages."""
    workers: int = 0
    """Flatten workers of the replay stages (0: one per core): threads for QianHub where the
    native flattener is built, processes otherwise and for Pospal."""
    stack_records: int = 20_000
    """Records of shop-days the QianHub replay stages merge in one transaction."""
    lake_follow: bool = False
    """Replays rewrite the lake behind their loads (``POS_WAREHOUSE_REPLAY_LAKE_FOLLOW``)."""
    lake_append: bool = True
    """Replays write new partitions from their loads (``POS_WAREHOUSE_REPLAY_LAKE_APPEND``)."""
    runs: int = 3
    """Runs of the QianHub replay and of its raw limit (the ``bench:`` line's figures are their
    medians; see :data:`etl.bench.stages.REPEATED`)."""

    @property
    def root(self) -> Path:
        return Path(self.workdir)

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def recheckout_raw_dir(self) -> Path:
        return self.root / "raw-recheckout"

    def save(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "config.json"
        path.write_text(json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def load(cls, workdir: Path) -> BenchConfig:
        return cls(**json.loads((workdir / "config.json").read_text()))

    # -- sizing ---------------------------------------------------------------------------

    def dates(self) -> list[dt.date]:
        return [FIRST_DAY + dt.timedelta(days=i) for i in range(self.days)]

    def shops(self) -> tuple[int, int]:
        """(shops, bills per shop-day) whose product with ``days`` is close to ``bills``."""
        return _split(self.bills, self.days, MAX_BILLS_PER_SHOP_DAY, MAX_SHOPS)

    def stores(self) -> tuple[int, int]:
        """(stores, tickets per store-day) whose product with ``days`` is close to ``tickets``."""
        return _split(self.tickets, self.days, MAX_TICKETS_PER_STORE_DAY, MAX_SHOPS)

    def total_bills(self) -> int:
        shops, per_day = self.shops()
        return shops * per_day * self.days

    def total_tickets(self) -> int:
        stores, per_day = self.stores()
        return stores * per_day * self.days

    def settled(self) -> dt.datetime:
        """Shop-local "now" a week after the last day: every late ticket and re-checkout done."""
        return dt.datetime.combine(self.dates()[-1] + dt.timedelta(days=7), dt.time(12))


def _split(total: int, days: int, per_day_max: int, units_max: int) -> tuple[int, int]:
    if total < days:
        raise ValueError(f"need at least one record per day ({days} days), got {total}")
    units = min(units_max, math.ceil(total / (days * per_day_max)))
    per_day = total // (units * days)
    if per_day > 2000:
        raise ValueError(f"{total} over {days} days needs more than {units_max} shops")
    return units, per_day


PREGENERATE_MAX_BILLS = 300_000
"""Largest world generated up front and held whole by the simulator process (about 3.7 GB at
200k bills); a larger one is generated while it is served, a few shop-days at a time."""
LAZY_CACHE_DAYS = 64


def pregenerated(config: BenchConfig) -> bool:
    return config.total_bills() <= PREGENERATE_MAX_BILLS


def qianhub_world(config: BenchConfig) -> QianhubWorld:
    shops, per_day = config.shops()
    return QianhubWorld(
        seed=QIANHUB_SEED,
        shop_count=shops,
        bills_per_day=(per_day, per_day),
        rule=BusinessDayRule(),
        as_of=config.settled(),
        cache_days=shops * config.days + 16 if pregenerated(config) else LAZY_CACHE_DAYS,
    )


def pospal_world(config: BenchConfig) -> PospalWorld:
    stores, per_day = config.stores()
    return PospalWorld(
        seed=POSPAL_SEED,
        stores=stores,
        tickets_per_day=(per_day, per_day),
        rule=BusinessDayRule(),
        as_of=config.settled(),
        # Returns refund the day before: that day is generated too.
        cache_days=stores * (config.days + 1) + 16,
    )


def account_name(index: int) -> str:
    """``store-1``, ``store-2``, … in the world's store order (as the tests name them)."""
    return f"store-{index}"
