"""Nightly load: yesterday's business day, plus a look-back re-load of the days before it
(late data and re-checkouts change days that were already loaded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import dagster as dg

from etl.config import WarehouseSettings


def lookback_partition_keys(business_day: dt.date, lookback_days: int) -> list[str]:
    """``business_day`` and the ``lookback_days`` before it, oldest first."""
    return [(business_day - dt.timedelta(days=i)).isoformat() for i in range(lookback_days, -1, -1)]


def nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition, settings: WarehouseSettings
) -> dg.ScheduleDefinition:
    start = settings.rule.start
    # One hour after the business day closes, in the shops' time zone.
    cron = f"{start.minute} {(start.hour + 1) % 24} * * *"

    @dg.schedule(
        name=f"{job.name}_nightly",
        cron_schedule=cron,
        job=job,
        execution_timezone=settings.timezone,
        description=f"Loads yesterday's business day and re-loads the {settings.lookback_days} "
        "days before it (POS_WAREHOUSE_LOOKBACK_DAYS).",
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        scheduled = context.scheduled_execution_time
        assert scheduled is not None
        local = scheduled.astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)
        yesterday = settings.rule.business_date(local) - dt.timedelta(days=1)
        for key in lookback_partition_keys(yesterday, settings.lookback_days):
            yield dg.RunRequest(run_key=f"{job.name}:{key}:{yesterday}", partition_key=key)

    return nightly
