"""Dagster definitions. Loading them does no network or file work and needs no environment:
secrets are ``dg.EnvVar``s resolved when a run starts."""

from __future__ import annotations

import dagster as dg

from dagster_project.assets.qianhub import build_qianhub_assets
from dagster_project.partitions import business_day_partitions
from dagster_project.resources import default_resources
from dagster_project.schedules import nightly_schedule
from etl.config import WarehouseSettings

QIANHUB_JOB = "qianhub_daily"


def build_definitions(settings: WarehouseSettings | None = None) -> dg.Definitions:
    settings = settings or WarehouseSettings.from_env()
    partitions = business_day_partitions(settings)
    qianhub_job = dg.define_asset_job(
        QIANHUB_JOB,
        selection=dg.AssetSelection.groups("qianhub"),
        partitions_def=partitions,
        description="One business day of every QianHub shop: shop list, bills, handover and "
        "day-end reports.",
    )
    return dg.Definitions(
        assets=build_qianhub_assets(partitions),
        jobs=[qianhub_job],
        schedules=[nightly_schedule(qianhub_job, settings)],
        resources=default_resources(),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
