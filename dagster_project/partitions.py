"""Daily partitions on business days: partition ``2026-11-01`` covers shop-local
[2026-11-01 06:00, 2026-11-02 06:00) when the business day starts at 06:00."""

from __future__ import annotations

import dagster as dg

from etl.config import WarehouseSettings


def business_day_partitions(settings: WarehouseSettings) -> dg.DailyPartitionsDefinition:
    start = settings.rule.start
    return dg.DailyPartitionsDefinition(
        start_date=settings.partition_start.isoformat(),
        timezone=settings.timezone,
        hour_offset=start.hour,
        minute_offset=start.minute,
    )
