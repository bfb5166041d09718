"""``python -m etl.simulator qianhub --port 8765``: serve the simulated QianHub gateway;
``python -m etl.simulator pospal --port 8766``: the Pospal open API (:mod:`.pospal_cli`);
``python -m etl.simulator pospal-push --url URL --date D``: its push service, sending a
business day's notifications to a webhook (:mod:`.pospal_push_cli`);
``python -m etl.simulator whale --port 8767``: the WHALE e-voucher admin API (:mod:`.whale_cli`).

Without ``--public-key-file`` a demo key pair is created once under ``--key-dir`` (default
``$POS_WAREHOUSE_HOME/simulator``) and reused; the three lines that point the loader at the
simulator are printed for pasting into ``.env``. Serves until Ctrl-C (or SIGTERM). Binds
127.0.0.1 unless told otherwise: the simulator has no business on a network.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from etl.business_day import BusinessDayRule
from etl.errors import ConfigError
from etl.qianhub.auth import load_public_key
from etl.simulator.faults import FaultConfig
from etl.simulator.keys import ensure_demo_keypair
from etl.simulator.pospal_cli import add_parser as add_pospal_parser
from etl.simulator.pospal_cli import run as run_pospal
from etl.simulator.pospal_push_cli import add_parser as add_push_parser
from etl.simulator.pospal_push_cli import run as run_push
from etl.simulator.qianhub_server import QianhubSimulator
from etl.simulator.qianhub_world import QianhubWorld
from etl.simulator.whale_cli import add_parser as add_whale_parser
from etl.simulator.whale_cli import run as run_whale


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl.simulator", description=__doc__)
    vendors = parser.add_subparsers(dest="vendor", required=True)
    qianhub = vendors.add_parser("qianhub", help="the QianHub gateway (cashier.finish, stats)")
    qianhub.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    qianhub.add_argument("--host", default="127.0.0.1")
    qianhub.add_argument("--seed", type=int, default=20261101)
    qianhub.add_argument("--shops", type=int, default=4)
    qianhub.add_argument(
        "--faults",
        default="none",
        help="e.g. 5xx=0.05,drop=0.02,timeout=0.01,slow=0.05,malformed=0.01,"
        "oversize_over_hours=6,oversize_bytes=2000000",
    )
    qianhub.add_argument("--app-id", default="demo-app")
    qianhub.add_argument("--public-key-file", type=Path, help="your app's public key (PEM/DER)")
    home = Path(os.environ.get("POS_WAREHOUSE_HOME", "data"))
    qianhub.add_argument("--key-dir", type=Path, default=home / "simulator")
    qianhub.add_argument(
        "--day-start",
        default=os.environ.get("POS_WAREHOUSE_BUSINESS_DAY_START", "06:00"),
        help="business day start HH:MM (default: $POS_WAREHOUSE_BUSINESS_DAY_START or 06:00)",
    )
    add_pospal_parser(vendors)
    add_push_parser(vendors)
    add_whale_parser(vendors)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.vendor == "pospal":
        return run_pospal(args, parser)
    if args.vendor == "pospal-push":
        return run_push(args, parser)
    if args.vendor == "whale":
        return run_whale(args)
    try:
        faults = FaultConfig.parse(args.faults)
        world = QianhubWorld(
            seed=args.seed, shop_count=args.shops, rule=BusinessDayRule.parse(args.day_start)
        )
    except (ValueError, ConfigError) as exc:
        parser.error(str(exc))
    if args.public_key_file is not None:
        public_key = load_public_key(
            args.public_key_file.read_bytes(), source=str(args.public_key_file)
        )
        private_line = f"# QIANHUB_PRIVATE_KEY_FILE=<the private key of {args.public_key_file}>"
    else:
        keys = ensure_demo_keypair(args.key_dir, args.app_id)
        public_key = keys.public_key
        private_line = f"QIANHUB_PRIVATE_KEY_FILE={keys.private_key_file}"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding {args.host}, not loopback", file=sys.stderr)  # noqa: T201

    simulator = QianhubSimulator(
        world, apps={args.app_id: public_key}, faults=faults, host=args.host, port=args.port
    )
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with simulator:
        print(  # noqa: T201
            f"QianHub simulator on {simulator.url} (seed {args.seed}, shops "
            f"{', '.join(map(str, world.shop_ids()))}, faults {faults.describe()}). Ctrl-C stops.\n"
            f"QIANHUB_GATEWAY_URL={simulator.url}\nQIANHUB_APP_ID={args.app_id}\n{private_line}",
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
        f"rejected signatures {stats.rejected_signatures}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
