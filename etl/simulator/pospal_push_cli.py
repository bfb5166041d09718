"""``python -m etl.simulator pospal-push --url URL --date D``: push a store-day to a webhook.

Builds the same world as ``python -m etl.simulator pospal`` given the same ``--seed``,
``--stores`` and ``--day-start``, so the appIds and appKeys (and the tickets the pushes name)
are the ones that simulator serves. Prints one line per final HTTP status: how many
deliveries ended there, after how many attempts, and with which faults.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections import Counter, defaultdict

from etl.business_day import BusinessDayRule
from etl.errors import ConfigError
from etl.simulator.pospal_push import world_pushes
from etl.simulator.pospal_push_sender import PushDelivery, PushFaults, PushSender
from etl.simulator.pospal_world import PospalWorld

# Late uploads (10:00 two days on) and re-checkouts (up to a day after upload) of a business
# day have all happened by noon three days later.
_SETTLED_AFTER = dt.timedelta(days=3, hours=12)


def add_parser(vendors: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    push = vendors.add_parser(
        "pospal-push", help="send a business day's Pospal pushes to a webhook URL"
    )
    push.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8780/pospal/push")
    push.add_argument("--date", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    push.add_argument("--seed", type=int, default=20261102, help="as for `pospal`")
    push.add_argument("--stores", type=int, default=3, help="as for `pospal`")
    push.add_argument(
        "--day-start",
        default=os.environ.get("POS_WAREHOUSE_BUSINESS_DAY_START", "06:00"),
        help="as for `pospal` (default: $POS_WAREHOUSE_BUSINESS_DAY_START or 06:00)",
    )
    push.add_argument(
        "--as-of",
        type=dt.datetime.fromisoformat,
        help="push what exists at this shop-local time (default: noon, three days later)",
    )
    push.add_argument(
        "--faults",
        default="none",
        help="e.g. 'bad_signature=0.05,no_signature=0.02,duplicate=0.1,unknown=0.02'",
    )
    push.add_argument(
        "--time-scale", type=float, default=0.01, help="retry schedule factor (0.01: 4 s total)"
    )
    push.add_argument("--workers", type=int, default=1, help="messages in flight at once")


def summary(deliveries: list[PushDelivery]) -> list[str]:
    """One line per final status, e.g. ``   312  200 delivered  (faults: duplicate 30)``."""
    counts: Counter[int | None] = Counter()
    attempts: defaultdict[int | None, set[int]] = defaultdict(set)
    faults: defaultdict[int | None, Counter[str]] = defaultdict(Counter)
    for delivery in deliveries:
        counts[delivery.status] += 1
        attempts[delivery.status].add(delivery.attempts)
        if delivery.fault:
            faults[delivery.status][delivery.fault] += 1
    lines = []
    for status in sorted(counts, key=lambda s: -1 if s is None else s):
        label = "no answer" if status is None else str(status)
        outcome = "delivered" if status == 200 else "given up"
        tries = "/".join(str(n) for n in sorted(attempts[status]))
        line = f"{counts[status]:>6}  {label} {outcome} after {tries} attempt(s)"
        if faults[status]:
            line += "  (faults: " + ", ".join(f"{k} {n}" for k, n in faults[status].items()) + ")"
        lines.append(line)
    return lines


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        faults = PushFaults.parse(args.faults)
        world = PospalWorld(
            seed=args.seed, stores=args.stores, rule=BusinessDayRule.parse(args.day_start)
        )
        as_of = args.as_of or dt.datetime.combine(args.date, dt.time()) + _SETTLED_AFTER
        sender = PushSender(
            args.url,
            world.accounts(),
            faults=faults,
            seed=args.seed,
            time_scale=args.time_scale,
            workers=args.workers,
        )
    except (ValueError, ConfigError) as exc:
        parser.error(str(exc))
    with sender:
        # The chain's stores push through one service: their messages interleave in time.
        pushes = [p for app in world.accounts() for p in world_pushes(world, app, args.date, as_of)]
        deliveries = sender.send(sorted(pushes, key=lambda p: p.sent_ms))
    for line in summary(deliveries):
        print(line)  # noqa: T201 -- the command's output
    return 0
