"""QianHub assets: the shop list, then every shop's business day in one step (a single
``batch-query`` returns bills and both stat reports). Thin glue over ``etl.pipeline.qianhub``."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.assets import qianhub_metadata as md
from dagster_project.assets.qianhub_specs import (
    CHECK_SPECS,
    GROUP,
    KINDS,
    SHOPS_KEY,
    table_specs,
)
from dagster_project.resources import QianhubResource, WarehouseResource
from etl.pipeline import qianhub as pipeline


def build_qianhub_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=SHOPS_KEY,
        partitions_def=partitions,
        group_name=GROUP,
        kinds=KINDS,
        owners=["team:data-platform"],
        pool="duckdb",
        description="One row per shop visible to the app (qianhub.agent.list-shop), refreshed "
        "with every business-day load; the shops the daily load covers.",
    )
    def shops(
        context: dg.AssetExecutionContext, qianhub: QianhubResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult[Any]:
        with qianhub.get_client() as client, warehouse.open() as wh:
            ids = pipeline.load_shops(client, wh, warehouse.raw_store())
        context.log.info("QianHub lists %d shops: %s", len(ids), ids)
        return dg.MaterializeResult(metadata={"shops": len(ids), "shop_ids": str(ids)})

    @dg.multi_asset(
        name="qianhub_batch",
        specs=table_specs(),
        check_specs=CHECK_SPECS,
        partitions_def=partitions,
        pool="duckdb",
    )
    def batch(
        context: dg.AssetExecutionContext, qianhub: QianhubResource, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
        day = dt.date.fromisoformat(context.partition_key)
        settings = warehouse.settings()
        with qianhub.get_client() as client, warehouse.open() as wh:
            shop_ids = md.listed_shops(wh)
            result = pipeline.load_day(
                client,
                wh,
                warehouse.raw_store(),
                shop_ids,
                day,
                qianhub=qianhub.settings(),
                settings=settings,
            )
            if not result.failures:
                yield from md.materializations(wh, result, settings.rule.window(day))
                yield from md.check_results(wh, day)
        # A partial day is not a materialized partition: backfills of missing ones retry it.
        if result.failures:
            raise dg.Failure(
                description=md.failure_summary(result, len(shop_ids)),
                # ids as text: the UI's JSON numbers are doubles
                metadata={"failed_shops": [str(f.shop_id) for f in result.failures]},
            )

    return [shops, batch]
