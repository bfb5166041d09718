"""``python -m etl.simulator whale --port 8767``: serve the simulated WHALE admin API (and its
own ESB make-code receiver), write its order ids to a file, print the ``WHALE_*`` lines."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from etl.simulator.whale_server import WhaleSimulator


def add_parser(vendors: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    whale = vendors.add_parser("whale", help="the WHALE e-voucher admin API (+ ESB receiver)")
    whale.add_argument("--port", type=int, default=8767, help="0 picks a free port")
    whale.add_argument("--host", default="127.0.0.1")
    whale.add_argument("--orders", type=int, default=6, help="make-code orders made at start")
    whale.add_argument("--esb-url", help="send make-code calls here instead of the own receiver")
    home = Path(os.environ.get("POS_WAREHOUSE_HOME", "data"))
    whale.add_argument(
        "--order-ids-file", type=Path, default=home / "simulator" / "whale-order-ids.txt"
    )


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with WhaleSimulator(
        host=args.host, port=args.port, orders=args.orders, esb_url=args.esb_url
    ) as simulator:
        args.order_ids_file.parent.mkdir(parents=True, exist_ok=True)
        simulator.write_order_ids(args.order_ids_file)
        print(  # noqa: T201
            f"WHALE simulator on {simulator.url} (ESB make-code calls to {simulator.esb_url}; "
            f"{len(simulator.order_ids)} orders, failing first: "
            f"{', '.join(sorted(simulator.failing)) or 'none'}). Ctrl-C stops.\n"
            f"WHALE_BASE_URL={simulator.url}\nWHALE_ORDER_IDS_FILE={args.order_ids_file}",
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
