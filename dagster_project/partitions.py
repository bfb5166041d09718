"""Daily partitions on business days: partition ``2026-11-01`` covers shop-local
[2026-11-01 06:00, 2026-11-02 06:00) when the business day starts at 06:00. Pospal partitions
add the account as a second dimension."""

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


POSPAL_ACCOUNTS = dg.DynamicPartitionsDefinition(name="pospal_accounts")
"""Configured Pospal account names, registered by the nightly schedule, the accounts sensor
and the CLI (the definitions read no settings when they load)."""


def pospal_partitions(settings: WarehouseSettings) -> dg.MultiPartitionsDefinition:
    """Business date × account: each account has its own call quota, so each account-day is a
    partition that fails, retries and shows up in the UI on its own."""
    return dg.MultiPartitionsDefinition(
        {"date": business_day_partitions(settings), "account": POSPAL_ACCOUNTS}
    )


def pospal_key(day: str, account: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"date": day, "account": account})


def register_pospal_accounts(instance: dg.DagsterInstance, names: list[str]) -> list[str]:
    """Add the account names the instance does not know yet; returns those added."""
    assert POSPAL_ACCOUNTS.name is not None
    known = set(instance.get_dynamic_partitions(POSPAL_ACCOUNTS.name))
    new = [name for name in names if name not in known]
    if new:
        instance.add_dynamic_partitions(POSPAL_ACCOUNTS.name, new)
    return new
