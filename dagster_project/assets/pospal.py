"""Pospal assets: one step per account and business date loads tickets, online orders and
the day's members' histories (every table of the day, in that order). Thin glue over
``etl.pipeline.pospal``; quota use goes into the tickets metadata."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.assets import pospal_metadata as md
from dagster_project.assets.pospal_specs import CHECK_SPECS, table_specs
from dagster_project.resources import PospalResource, WarehouseResource
from etl.pipeline import pospal as pipeline


def partition_parts(context: dg.AssetExecutionContext) -> tuple[str, dt.date]:
    """(account, business date) of the run's partition."""
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey), f"not a Pospal partition: {key!r}"
    parts = key.keys_by_dimension
    return parts["account"], dt.date.fromisoformat(parts["date"])


def build_pospal_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    @dg.multi_asset(
        name="pospal_account_day",
        specs=table_specs(),
        check_specs=CHECK_SPECS,
        partitions_def=partitions,
        pool="duckdb",
    )
    def account_day(
        context: dg.AssetExecutionContext, pospal: PospalResource, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
        name, day = partition_parts(context)
        settings = warehouse.settings()
        account = pospal.account(name)
        budget = pospal.budget(settings)
        used_before = budget.used(account.app_id)
        with pospal.get_client(account, budget) as client, warehouse.open() as wh:
            (result,) = pipeline.load_days(
                client, wh, warehouse.raw_store(), account, [day], settings=settings
            )
            quota = md.quota_metadata(budget, account, used_before)
            context.log.info(
                "pospal %s %s: %s rows, %d calls (%d left today)",
                name,
                day,
                result.rows(),
                quota["quota_calls_this_run"],
                quota["quota_remaining_today"],
            )
            yield from md.materializations(wh, result, settings.rule.window(day), quota)
            if result.complete:
                yield from md.check_results(wh, day, name)
        # A day the quota cut is not a materialised partition: the next run finishes it.
        if not result.complete:
            raise dg.Failure(description=md.quota_summary(result), metadata=quota)

    return [account_day]
