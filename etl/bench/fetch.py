"""Fetch stage: the simulators on loopback in their own process, the real clients landing pages.

The server process builds both worlds, generates every shop-day and store-day up front (so
generation is not timed as fetching; above :data:`~etl.bench.world.PREGENERATE_MAX_BILLS` the
world would not fit in memory, so it is generated while served and the fetch figures include
generation), then serves the QianHub gateway and the Pospal open API
on 127.0.0.1 and prints their URLs. This process fetches every unit with the real clients --
signed requests, ``fetch_windows`` for QianHub, cursor paging for Pospal -- and lands each page
with :class:`~etl.raw.RawStore` exactly as ``load_shop_day`` / ``run_query`` do, but does not
upsert: the replay stage measures that from these very pages.

Concurrency: ``fetch_workers`` units at once. QianHub documents no rate limit; Pospal limits
calls per appId and day (300), not concurrency, so the bench server lifts the quota (a real
day of this size would need several days of quota) and stores run in parallel.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pydantic import SecretStr

from etl.bench.world import (
    APP_ID,
    BenchConfig,
    account_name,
    pospal_world,
    pregenerated,
    qianhub_world,
)
from etl.business_day import BusinessDayRule
from etl.config import QianhubSettings
from etl.pipeline.pospal import (
    ORDERS_ENDPOINT,
    PAY_METHODS_ENDPOINT,
    TICKETS_ENDPOINT,
    account_unit,
)
from etl.pipeline.qianhub import BATCH_ENDPOINT, shop_unit
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount
from etl.qianhub.client import BOH_TYPES, QianhubClient
from etl.qianhub.windows import fetch_windows
from etl.raw import RawStore
from etl.simulator import PospalSimulator, QianhubSimulator, ensure_demo_keypair
from etl.warehouse.meta import new_load_id

POSPAL_QUOTA = 10**9


@dataclass
class Fetched:
    """Pages and bytes landed by one unit."""

    pages: int = 0
    bytes: int = 0


def serve(workdir: Path) -> None:
    """The server process: generate, serve, print the URLs, run until stdin closes."""
    config = BenchConfig.load(workdir)
    keys = ensure_demo_keypair(config.root / "keys", app_id=APP_ID)
    qianhub, pospal = qianhub_world(config), pospal_world(config)
    began = time.perf_counter()
    generated: float | None = None
    if pregenerated(config):
        for day in config.dates():
            for shop_id in qianhub.shop_ids():
                qianhub.day(shop_id, day)
            for store in pospal.stores():
                pospal.day(store.app_id, day)
        generated = time.perf_counter() - began
    with (
        QianhubSimulator(qianhub, apps={APP_ID: keys.public_key}) as gateway,
        PospalSimulator(pospal, accounts=pospal.accounts(), quota=POSPAL_QUOTA) as api,
    ):
        ready = {"qianhub": gateway.url, "pospal": api.url, "generate_s": generated}
        print(json.dumps(ready), flush=True)
        sys.stdin.read()  # the bench closes our stdin when it is done


def _qianhub_unit(
    settings: QianhubSettings, raw: RawStore, rule: BusinessDayRule, shop: int, day: dt.date
) -> Fetched:
    start, end = rule.window(day)
    done = Fetched()
    fetch = raw.start("qianhub", BATCH_ENDPOINT, day.isoformat(), shop_unit(shop), new_load_id())
    with QianhubClient.from_settings(settings) as client:
        for window in fetch_windows(
            client,
            shop,
            BOH_TYPES,
            start,
            end,
            window=dt.timedelta(hours=settings.window_hours),
            min_window=dt.timedelta(minutes=settings.min_window_minutes),
        ):
            fetch.add(window.begin, window.end, window.body)
            done.pages += 1
            done.bytes += len(window.body)
    fetch.complete()
    return done


def _pospal_unit(
    account: PospalAccount, raw: RawStore, rule: BusinessDayRule, day: dt.date, first: bool
) -> Fetched:
    start, end = rule.window(day)
    done = Fetched()
    unit = account_unit(account)
    with PospalClient(account, budget=None, timeout=120.0) as client:
        if first:  # the pay-method list is landed once per account, as load_days does
            body = client.pay_methods()
            raw.land("pospal", PAY_METHODS_ENDPOINT, f"{unit}+{new_load_id()}", body)
            done.pages, done.bytes = 1, len(body)
        for endpoint, pages in (
            (TICKETS_ENDPOINT, client.ticket_pages(start, end)),
            (ORDERS_ENDPOINT, client.order_pages(start, end)),
        ):
            fetch = raw.start("pospal", endpoint, day.isoformat(), unit, new_load_id())
            for page in pages:
                fetch.add(start, end, page.body)
                done.pages += 1
                done.bytes += len(page.body)
            fetch.complete()
    return done


def _timed(jobs: list[Callable[[], Fetched]], workers: int) -> dict[str, float]:
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    seconds = time.perf_counter() - began
    pages = sum(r.pages for r in results)
    size = sum(r.bytes for r in results)
    return {
        "units": len(jobs),
        "pages": pages,
        "mb": size / 2**20,
        "seconds": seconds,
        "pages_per_s": pages / seconds,
        "mb_per_s": size / 2**20 / seconds,
    }


def run(config: BenchConfig) -> dict[str, object]:
    """Start the server process, land every unit of both vendors, return the fetch figures."""
    config.save()
    server = subprocess.Popen(
        [sys.executable, "-m", "etl.bench", "--serve", str(config.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            raise SystemExit("the bench simulator process exited before serving")
        ready = json.loads(line)
        keys = ensure_demo_keypair(config.root / "keys", app_id=APP_ID)
        settings = QianhubSettings(
            gateway_url=ready["qianhub"],
            app_id=APP_ID,
            private_key_file=keys.private_key_file,
            timeout_seconds=300.0,
        )
        raw, rule = RawStore(config.raw_dir), BusinessDayRule()
        qianhub, pospal = qianhub_world(config), pospal_world(config)
        q_jobs: list[Callable[[], Fetched]] = [
            partial(_qianhub_unit, settings, raw, rule, shop, day)
            for day in config.dates()
            for shop in qianhub.shop_ids()
        ]
        accounts = [
            PospalAccount(account_name(i), ready["pospal"], s.app_id, SecretStr(s.app_key))
            for i, s in enumerate(pospal.stores(), start=1)
        ]
        p_jobs: list[Callable[[], Fetched]] = [
            partial(_pospal_unit, account, raw, rule, day, n == 0)
            for n, day in enumerate(config.dates())
            for account in accounts
        ]
        figures: dict[str, object] = {
            "generate_s": ready["generate_s"],
            "workers": config.fetch_workers,
            "qianhub": _timed(q_jobs, config.fetch_workers),
            "pospal": _timed(p_jobs, min(config.fetch_workers, len(accounts))),
        }
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=60)
    return figures
