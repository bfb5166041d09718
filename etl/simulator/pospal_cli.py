"""``python -m etl.simulator pospal --port 8766``: serve the simulated Pospal open API.

Prints the three ``POSPAL_*`` lines for the first store and, for all stores, a TOML accounts
file (``POSPAL_ACCOUNTS_FILE``) with the ``*_KEY`` lines it refers to. The keys are the
simulator's deterministic demo values, not secrets: printing them is the point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import threading
from types import FrameType

from etl.business_day import BusinessDayRule
from etl.errors import ConfigError
from etl.simulator.faults import FaultConfig
from etl.simulator.pospal_server import PospalSimulator
from etl.simulator.pospal_world import PospalWorld


def add_parser(vendors: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pospal = vendors.add_parser("pospal", help="the Pospal open API v1 (tickets, orders)")
    pospal.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    pospal.add_argument("--host", default="127.0.0.1")
    pospal.add_argument("--seed", type=int, default=20261102)
    pospal.add_argument("--stores", type=int, default=3)
    pospal.add_argument("--quota", type=int, default=300, help="calls per appId per day")
    pospal.add_argument(
        "--faults",
        default="none",
        help="e.g. 5xx=0.05,drop=0.02,timeout=0.01,slow=0.05,malformed=0.01,duplicate=0.1,"
        "oversize_over_hours=6,oversize_bytes=2000000",
    )
    pospal.add_argument(
        "--as-of",
        type=dt.datetime.fromisoformat,
        help="freeze the simulator clock (shop-local, e.g. 2026-11-05T12:00); default: now",
    )
    pospal.add_argument(
        "--day-start",
        default=os.environ.get("POS_WAREHOUSE_BUSINESS_DAY_START", "06:00"),
        help="business day start HH:MM (default: $POS_WAREHOUSE_BUSINESS_DAY_START or 06:00)",
    )


def settings_text(simulator: PospalSimulator, world: PospalWorld) -> str:
    """The env lines for the first store, then a TOML accounts file and its key lines."""
    accounts = world.accounts()
    first = next(iter(accounts))
    lines = [
        f"POSPAL_BASE_URL={simulator.url}",
        f"POSPAL_APP_ID={first}",
        f"POSPAL_APP_KEY={accounts[first]}",
        "# --- every store: save as a TOML file and point POSPAL_ACCOUNTS_FILE at it ---",
    ]
    keys = []
    for number, (app_id, key) in enumerate(accounts.items(), start=1):
        variable = f"POSPAL_SIM_STORE_{number}_KEY"
        lines += [
            "[[accounts]]",
            f'name = "store-{number}"',
            f'base_url = "{simulator.url}"',
            f'app_id = "{app_id}"',
            f'app_key_env = "{variable}"',
            "",
        ]
        keys.append(f"{variable}={key}")
    lines += ["# --- and the keys it names, for .env ---", *keys]
    return "\n".join(lines)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        faults = FaultConfig.parse(args.faults)
        world = PospalWorld(
            seed=args.seed,
            stores=args.stores,
            rule=BusinessDayRule.parse(args.day_start),
            as_of=args.as_of,
        )
        simulator = PospalSimulator(
            world,
            accounts=world.accounts(),
            faults=faults,
            quota=args.quota,
            host=args.host,
            port=args.port,
        )
    except (ValueError, ConfigError) as exc:
        parser.error(str(exc))
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding {args.host}, not loopback", file=sys.stderr)  # noqa: T201
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with simulator:
        print(  # noqa: T201
            f"Pospal simulator on {simulator.url} (seed {args.seed}, {args.stores} stores, "
            f"quota {args.quota}/day, faults {faults.describe()}). Ctrl-C stops.\n"
            + settings_text(simulator, world),
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        stats = simulator.stats
    print(  # noqa: T201
        f"stopped after {stats.total_requests} requests; faults {dict(stats.faults)}, "
        f"errors {dict(stats.errors)}",
        flush=True,
    )
    return 0
