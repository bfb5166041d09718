"""``python -m tests.pipeline.pospal_replay_victim HOME STACK_RECORDS``: replay every landed
Pospal account-day into the warehouse at HOME with stacks of STACK_RECORDS records, printing
each account-day as it is yielded. The kill test runs it with ``POS_WAREHOUSE_CHAOS_KILL_AT``
set, so it dies inside."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from etl.config import WarehouseSettings
from etl.pipeline.pospal import landed_accounts
from etl.pipeline.pospal_replay import replay_account_days
from etl.raw import RawStore
from etl.warehouse import Warehouse


def main(home: Path, stack_records: int) -> None:
    settings = WarehouseSettings(home=home, reader_copy=False)
    raw = RawStore(settings.raw_dir)
    days = sorted(
        dt.date.fromisoformat(path.name.removeprefix("business_date="))
        for path in (settings.raw_dir / "pospal" / "queryTicketPages").iterdir()
    )
    pairs = [(day, account) for day in days for account in landed_accounts(raw, day)]
    with Warehouse.open(settings) as wh:
        for day, account, _ in replay_account_days(
            wh, raw, pairs, settings=settings, stack_records=stack_records
        ):
            print(f"replayed {day} {account}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
