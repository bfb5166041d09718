"""Nightly load: yesterday's business day, plus a look-back re-load of the days before it
(late data and re-checkouts change days that were already loaded). Pospal runs one partition
per configured account and day; its accounts are registered here and by the accounts sensor
(:mod:`dagster_project.sensors`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.partitions import pospal_key, register_pospal_accounts
from etl.config import WarehouseSettings
from etl.errors import ConfigError
from etl.pospal.settings import load_accounts

ScheduleYield = Iterator[dg.RunRequest | dg.SkipReason]


def lookback_partition_keys(business_day: dt.date, lookback_days: int) -> list[str]:
    """``business_day`` and the ``lookback_days`` before it, oldest first."""
    return [(business_day - dt.timedelta(days=i)).isoformat() for i in range(lookback_days, -1, -1)]


def _yesterday(context: dg.ScheduleEvaluationContext, settings: WarehouseSettings) -> dt.date:
    scheduled = context.scheduled_execution_time
    assert scheduled is not None
    local = scheduled.astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)
    return settings.rule.business_date(local) - dt.timedelta(days=1)


def _schedule_args(
    job: dg.UnresolvedAssetJobDefinition, settings: WarehouseSettings, what: str
) -> dict[str, Any]:
    start = settings.rule.start
    return dict(
        name=f"{job.name}_nightly",
        # One hour after the business day closes, in the shops' time zone.
        cron_schedule=f"{start.minute} {(start.hour + 1) % 24} * * *",
        job=job,
        execution_timezone=settings.timezone,
        description=f"Loads yesterday's business day{what} and re-loads the "
        f"{settings.lookback_days} days before it (POS_WAREHOUSE_LOOKBACK_DAYS).",
    )


def nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition, settings: WarehouseSettings
) -> dg.ScheduleDefinition:
    @dg.schedule(**_schedule_args(job, settings, ""))
    def nightly(context: dg.ScheduleEvaluationContext) -> ScheduleYield:
        yesterday = _yesterday(context, settings)
        for key in lookback_partition_keys(yesterday, settings.lookback_days):
            yield dg.RunRequest(run_key=f"{job.name}:{key}:{yesterday}", partition_key=key)

    return nightly


def pospal_nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition, settings: WarehouseSettings
) -> dg.ScheduleDefinition:
    """One run per configured account and day, account by account, oldest day first."""

    @dg.schedule(**_schedule_args(job, settings, " for every Pospal account"))
    def nightly(context: dg.ScheduleEvaluationContext) -> ScheduleYield:
        try:
            names = [account.name for account in load_accounts()]
        except ConfigError as exc:
            yield dg.SkipReason(f"Pospal is not configured: {exc}")
            return
        register_pospal_accounts(context.instance, names)
        yesterday = _yesterday(context, settings)
        for name in names:
            for day in lookback_partition_keys(yesterday, settings.lookback_days):
                yield dg.RunRequest(
                    run_key=f"{job.name}:{name}:{day}:{yesterday}",
                    partition_key=pospal_key(day, name),
                )

    return nightly


def report_schedule(
    job: dg.UnresolvedAssetJobDefinition, settings: WarehouseSettings
) -> dg.ScheduleDefinition:
    """Yesterday's report, three hours after the business day closes: two hours after the
    nightly loads start, which the marts_automation sensor follows with a marts refresh."""
    start = settings.rule.start

    @dg.schedule(
        name=f"{job.name}_nightly",
        cron_schedule=f"{start.minute} {(start.hour + 3) % 24} * * *",
        job=job,
        execution_timezone=settings.timezone,
        description="Writes yesterday's HTML report from the marts.",
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> ScheduleYield:
        yesterday = _yesterday(context, settings).isoformat()
        yield dg.RunRequest(run_key=f"{job.name}:{yesterday}", partition_key=yesterday)

    return nightly
