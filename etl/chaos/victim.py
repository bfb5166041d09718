"""The process the kill trials SIGKILL: a real load of both vendors into one warehouse.

``python -m etl.chaos.victim --home H --qianhub-url U --pospal-url V --keys K`` prints
``ready`` once imported, loads QianHub (shops, then every shop-day) and Pospal (every account's
days) exactly as :mod:`etl.chaos.world` does for a clean load, then prints one JSON line: the
kill points passed (see :mod:`etl.chaos.hooks`) and what was left undone. The simulators run
in the parent, which also decides when (or at which kill point) this process dies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from etl.chaos import hooks, world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.chaos.victim", description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--qianhub-url", required=True)
    parser.add_argument("--pospal-url", required=True)
    parser.add_argument("--keys", type=Path, required=True, help="folder of the demo key pair")
    args = parser.parse_args(argv)
    keys = world.demo_keys(args.keys)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    qianhub = world.load_qianhub(args.qianhub_url, keys, args.home)
    pospal = world.load_pospal(args.pospal_url, args.home)
    left = qianhub.failures + pospal.failures + pospal.quota_cuts
    sys.stdout.write(json.dumps({"hits": hooks.hits(), "left": left}) + "\n")
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
