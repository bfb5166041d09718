"""``python -m tests.pipeline.replay_victim HOME DAY STACK_RECORDS``: replay every landed shop
of DAY into the warehouse at HOME with stacks of STACK_RECORDS records, printing each unit as it
is yielded. The kill test runs it with ``POS_WAREHOUSE_CHAOS_KILL_AT`` set, so it dies inside."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from etl.config import WarehouseSettings
from etl.pipeline.qianhub import landed_shops, replay_days, replay_shops
from etl.raw import RawStore
from etl.warehouse import Warehouse


def main(home: Path, day: dt.date, stack_records: int) -> None:
    settings = WarehouseSettings(home=home, reader_copy=False)
    raw = RawStore(settings.raw_dir)
    with Warehouse.open(settings) as wh:
        replay_shops(wh, raw)
        units = [(day, shop) for shop in landed_shops(raw, day)]
        for _, shop, _ in replay_days(
            wh, raw, units, settings=settings, stack_records=stack_records
        ):
            print(f"replayed {shop}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), int(sys.argv[3]))
