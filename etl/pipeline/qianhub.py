"""QianHub load units.

A load unit is one shop's business day: every ``batch-query`` window covering
[day start, next day start) in shop-local time is fetched, landed raw, flattened and upserted
in ONE transaction, so a shop-day is either fully loaded or untouched. The shop list is its own
small unit. Replay reads the newest complete raw landing instead of calling the gateway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from etl.batch import FlatBatch
from etl.business_day import BusinessDayRule
from etl.chaos.hooks import kill_point
from etl.config import QianhubSettings, WarehouseSettings
from etl.errors import LoadError, PosWarehouseError
from etl.flatten.qianhub import (
    BATCH_ENTITIES,
    SHOPS_ENTITY,
    flatten_batch_bodies,
    flatten_shops,
)
from etl.flatten.qianhub_native import AVAILABLE as NATIVE_FLATTEN
from etl.pipeline import qianhub_landed
from etl.pipeline.qianhub_landed import flatten_landed
from etl.pipeline.workers import StackWindow, replay_workers, replaying
from etl.qianhub.client import BOH_TYPES, QianhubClient
from etl.qianhub.windows import fetch_windows
from etl.raw import RawStore
from etl.warehouse import LoadResult, LoadUnit, Warehouse
from etl.warehouse.meta import utcnow
from etl.warehouse.store import total_rows

log = logging.getLogger(__name__)

VENDOR = qianhub_landed.VENDOR
BATCH_ENDPOINT = qianhub_landed.BATCH_ENDPOINT
SHOPS_ENDPOINT = "list-shop"
shop_unit = qianhub_landed.shop_unit


@dataclass
class ShopFailure:
    """One shop-day that did not land, with the window and the error (no secrets)."""

    shop_id: int
    business_date: dt.date
    window: tuple[dt.datetime, dt.datetime]
    error: str

    def __str__(self) -> str:
        begin, end = self.window
        return (
            f"shop {self.shop_id}, business date {self.business_date}, "
            f"window [{begin:%Y-%m-%d %H:%M:%S}, {end:%Y-%m-%d %H:%M:%S}): {self.error}"
        )


@dataclass
class DayResult:
    """Outcome of one business date across shops: what landed and what failed."""

    business_date: dt.date
    loaded: dict[int, LoadResult] = field(default_factory=dict)
    failures: list[ShopFailure] = field(default_factory=list)

    def rows(self) -> dict[str, int]:
        return total_rows(self.loaded.values())

    @property
    def rejects(self) -> int:
        return sum(r.rejects for r in self.loaded.values())


def load_shops(client: QianhubClient, warehouse: Warehouse, raw: RawStore) -> list[int]:
    """Fetch ``list-shop``, land it, upsert ``qianhub.shops``; return the listed shop ids."""
    unit = LoadUnit(VENDOR, SHOPS_ENDPOINT, "all")
    body = client.list_shops()
    path = raw.land(VENDOR, SHOPS_ENDPOINT, unit.load_id, body)
    batch = flatten_shops(body)
    warehouse.load(_with_raw(unit, path, raw), batch, [SHOPS_ENTITY])
    ids = batch.tables["shops"].column("shop_id").to_pylist()
    return sorted(int(i) for i in ids)


def _with_raw(unit: LoadUnit, path: Path, raw: RawStore) -> LoadUnit:
    """The unit with the raw landing it read, relative to the data folder when inside it."""
    with suppress(ValueError):
        path = path.relative_to(raw.root.parent)
    return replace(unit, raw_path=str(path))


def load_shop_day(
    client: QianhubClient,
    warehouse: Warehouse,
    raw: RawStore,
    shop_id: int,
    business_date: dt.date,
    *,
    qianhub: QianhubSettings,
    settings: WarehouseSettings,
) -> LoadResult:
    """Fetch every window of one shop's business day, land it raw, and upsert it as one unit."""
    start, end = settings.rule.window(business_date)
    unit = LoadUnit(VENDOR, BATCH_ENDPOINT, shop_unit(shop_id), business_date, start, end)
    started_at = utcnow()
    try:
        fetch = raw.start(
            VENDOR, BATCH_ENDPOINT, business_date.isoformat(), unit.unit, unit.load_id
        )
        bodies = []
        for window in fetch_windows(
            client,
            shop_id,
            BOH_TYPES,
            start,
            end,
            window=dt.timedelta(hours=qianhub.window_hours),
            min_window=dt.timedelta(minutes=qianhub.min_window_minutes),
        ):
            fetch.add(window.begin, window.end, window.body)
            bodies.append(window.body)
        landed = fetch.complete()
    except (PosWarehouseError, OSError) as exc:  # vendor errors and raw-landing disk errors
        warehouse.record_failure(unit, started_at, exc)
        raise LoadError(f"{unit.describe()}: fetch failed: {exc}") from exc
    kill_point("fetched")
    batch = flatten_batch_bodies(bodies, settings.rule)
    return warehouse.load(_with_raw(unit, landed.parent, raw), batch, BATCH_ENTITIES)


def replay_shops(warehouse: Warehouse, raw: RawStore) -> list[int] | None:
    """Re-load ``qianhub.shops`` from the newest landed ``list-shop`` body; None if none."""
    landed = raw.latest_landed(VENDOR, SHOPS_ENDPOINT)
    if landed is None:
        return None
    path, body = landed
    unit = LoadUnit(VENDOR, SHOPS_ENDPOINT, "all", source="replay")
    batch = flatten_shops(body)
    warehouse.load(_with_raw(unit, path, raw), batch, [SHOPS_ENTITY])
    return sorted(int(i) for i in batch.table("shops").column("shop_id").to_pylist())


def replay_shop_day(
    warehouse: Warehouse,
    raw: RawStore,
    shop_id: int,
    business_date: dt.date,
    *,
    settings: WarehouseSettings,
) -> LoadResult | None:
    """Re-load a shop-day from its newest complete raw landing; None when nothing was landed."""
    landed = flatten_landed(raw, shop_id, business_date, settings.rule)
    flattened = _replay_unit(raw, shop_id, business_date, settings, landed)
    if flattened is None:
        return None
    return warehouse.load(*flattened, BATCH_ENTITIES)


Flattened = tuple[LoadUnit, FlatBatch]


def _replay_unit(
    raw: RawStore,
    shop_id: int,
    business_date: dt.date,
    settings: WarehouseSettings,
    landed: tuple[Path, FlatBatch] | None,
) -> Flattened | None:
    """The replay unit of a flattened landing (None: nothing was landed)."""
    if landed is None:
        return None
    path, batch = landed
    start, end = settings.rule.window(business_date)
    unit = LoadUnit(
        VENDOR, BATCH_ENDPOINT, shop_unit(shop_id), business_date, start, end, source="replay"
    )
    return _with_raw(unit, path, raw), batch


THREAD_AHEAD = 4
"""Flattened shop-days waiting per flatten thread (native flattener) until the first stack is
loaded; after it, a stack's worth (:class:`~etl.pipeline.workers.StackWindow`). Each one
waiting holds about 7 MB at 1,500 bills. Measured at 1M bills on 2 cores, with this fixed
window and no stack's worth after it (two threads, glibc's mmap threshold at 1 MiB): 8
waiting, 8,957 and 8,996 bills/s, 879 and 896 MB peak (2 runs); 16 waiting, 8,615-9,371
bills/s, 936-948 MB (3 runs); 4 waiting, 8,064-8,691 bills/s, 833-844 MB (3 runs)."""
MOST_AHEAD = 64
"""The most flattened shop-days waiting, however small they are."""
PROCESS_AHEAD = 16
"""Flattened shop-days waiting in all with worker processes (no native flattener), which
take far longer per unit: about a stack's worth, so the workers flatten the next stack
while the loading process merges one."""


def replay_days(
    warehouse: Warehouse,
    raw: RawStore,
    units: Iterable[tuple[dt.date, int]],
    *,
    settings: WarehouseSettings,
    workers: int | None = None,
    ahead: int | None = None,
    stack_records: int | None = None,
) -> Iterator[tuple[dt.date, int, LoadResult | None]]:
    """Replay many shop-days, yielding ``(business_date, shop_id, result)`` in the given order
    (result None when nothing was landed).

    The backfill path. ``workers`` threads (default: ``settings.replay_workers``, else
    :func:`~etl.pipeline.workers.replay_workers`) read and flatten the next ``ahead`` units
    while this thread merges into DuckDB (see :mod:`etl.pipeline.workers`): the native
    flattener runs without the GIL. Where it is not built (no C compiler at install time),
    they are processes running the Python fast path, which import
    :mod:`etl.pipeline.qianhub_landed` only, not DuckDB.

    Consecutive units are loaded together (:meth:`Warehouse.load_many`) until they hold
    ``stack_records`` records (default: ``settings.replay_stack_records``): one merge per
    entity for ten shop-days costs little more than for one (measured: 3x fewer merge
    seconds per bill at ten, and 10% more bills/s in all at twenty than at ten), and the
    warehouse ends exactly as if they were loaded one by one.
    Each unit keeps its own meta.loads row and lineage and is whole or absent; a stack that
    fails is loaded again one unit at a time, so a bad unit fails alone and raises after the
    units before it have landed. The Parquet lake is rewritten when the replay ends, or
    behind it with ``POS_WAREHOUSE_REPLAY_LAKE_FOLLOW`` (see :meth:`Warehouse.lake_deferred`
    with ``follow``). At most ``ahead`` flattened units wait
    in memory (default: :data:`THREAD_AHEAD` per flatten thread until the first stack is
    loaded, then one more than the units of the latest full stack, at most
    :data:`MOST_AHEAD`; :data:`PROCESS_AHEAD` in all with worker processes); stopping the
    iteration early cancels the rest. While units
    load, DuckDB gets the cores the workers leave (see
    :func:`~etl.pipeline.workers.replaying`).
    """
    workers = workers or settings.replay_workers or replay_workers()
    stack_records = stack_records or settings.replay_stack_records
    window: int | StackWindow = ahead or PROCESS_AHEAD
    if not ahead and NATIVE_FLATTEN:
        window = StackWindow(THREAD_AHEAD * workers, MOST_AHEAD)

    def job(unit: tuple[dt.date, int]) -> tuple[RawStore, int, dt.date, BusinessDayRule]:
        return raw, unit[1], unit[0], settings.rule

    with replaying(
        warehouse,
        flatten_landed,
        units,
        job,
        workers=workers,
        ahead=window,
        name=_describe,
        threads=NATIVE_FLATTEN,  # the native flattener leaves the GIL: threads will do
        follow=settings.replay_lake_follow,
        append=settings.replay_lake_append,
    ) as flattening:
        stacked: list[tuple[dt.date, int, Flattened]] = []
        for (business_date, shop_id), landed in flattening:
            flattened = _replay_unit(raw, shop_id, business_date, settings, landed)
            if flattened is None:
                yield from _load_stack(warehouse, stacked)
                yield business_date, shop_id, None
                continue
            stacked.append((business_date, shop_id, flattened))
            if sum(batch.records for _, _, (_, batch) in stacked) >= stack_records:
                if isinstance(window, StackWindow):
                    window.stacked(len(stacked))
                yield from _load_stack(warehouse, stacked)
        yield from _load_stack(warehouse, stacked)


def _describe(unit: tuple[dt.date, int]) -> str:
    return f"qianhub shop {unit[1]}, business date {unit[0]}"


def _load_stack(
    warehouse: Warehouse, stacked: list[tuple[dt.date, int, Flattened]]
) -> Iterator[tuple[dt.date, int, LoadResult]]:
    """Load the stacked units together (emptying the list), one by one if that fails."""
    units = list(stacked)
    stacked.clear()
    results = warehouse.load_stacked([flattened for _, _, flattened in units], BATCH_ENTITIES)
    for (business_date, shop_id, _), result in zip(units, results, strict=True):
        yield business_date, shop_id, result


def landed_shops(raw: RawStore, business_date: dt.date) -> list[int]:
    """Shops that have a complete raw landing for a business date."""
    units = raw.units(VENDOR, BATCH_ENDPOINT, business_date.isoformat())
    return sorted(int(u.split("=", 1)[1]) for u in units if u.startswith("shop_id="))


def load_day(
    client: QianhubClient,
    warehouse: Warehouse,
    raw: RawStore,
    shop_ids: Iterable[int],
    business_date: dt.date,
    *,
    qianhub: QianhubSettings,
    settings: WarehouseSettings,
) -> DayResult:
    """Load every shop for one business date. A failing shop does not stop the others; the
    caller decides what to do with ``DayResult.failures`` once the rest has landed."""
    result = DayResult(business_date)
    with warehouse.lake_deferred():  # one lake rewrite per table for the day, not per shop
        for shop_id in shop_ids:
            try:
                result.loaded[shop_id] = load_shop_day(
                    client,
                    warehouse,
                    raw,
                    shop_id,
                    business_date,
                    qianhub=qianhub,
                    settings=settings,
                )
            except duckdb.InterruptException:
                raise  # the operator stopped the run: do not go on with the next shop
            except Exception as exc:  # one shop's failure of any kind must not stop the others
                log.error("shop %s business date %s failed: %s", shop_id, business_date, exc)
                cause = (exc.__cause__ or exc) if isinstance(exc, LoadError) else exc
                window = settings.rule.window(business_date)
                result.failures.append(ShopFailure(shop_id, business_date, window, str(cause)))
    return result
