"""Dagster definitions. Loading them does no network or file work and needs no environment:
secrets are ``dg.EnvVar``s resolved when a run starts."""

from __future__ import annotations

import dagster as dg

from dagster_project.assets.marts import marts
from dagster_project.assets.marts_specs import GROUP as MARTS_GROUP
from dagster_project.assets.pospal import build_pospal_assets
from dagster_project.assets.pospal_push import PUSH_EVENTS_KEY, push_events
from dagster_project.assets.qianhub import build_qianhub_assets
from dagster_project.assets.report import REPORT_KEY, build_report_asset
from dagster_project.assets.whale import (
    build_whale_assets,
    build_whale_notifications_job,
    build_whale_retry_job,
)
from dagster_project.partitions import business_day_partitions, pospal_partitions
from dagster_project.resources import default_resources
from dagster_project.schedules import (
    nightly_schedule,
    pospal_nightly_schedule,
    report_schedule,
)
from dagster_project.sensors import PUSH_JOB, pospal_accounts_sensor, pospal_push_sensor
from etl.config import WarehouseSettings

QIANHUB_JOB = "qianhub_daily"
POSPAL_JOB = "pospal_daily"
MARTS_JOB = "marts_refresh"
REPORT_JOB = "daily_report"


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
    pospal_job = dg.define_asset_job(
        POSPAL_JOB,
        selection=dg.AssetSelection.groups("pospal") - dg.AssetSelection.assets(PUSH_EVENTS_KEY),
        partitions_def=pospal_partitions(settings),
        description="One business day of one Pospal account: pay methods, tickets, online "
        "orders and the histories of the day's members.",
    )
    push_job = dg.define_asset_job(
        PUSH_JOB,
        selection=dg.AssetSelection.assets(PUSH_EVENTS_KEY),
        description="Copies the webhook's pushes into pospal.push_events and re-fetches the "
        "tickets and orders they name (started by the pospal_push sensor).",
    )
    marts_job = dg.define_asset_job(
        MARTS_JOB,
        selection=dg.AssetSelection.groups(MARTS_GROUP),
        description="Re-creates the marts views and checks daily_sales against the vendors' "
        "own totals (also run by the marts_automation sensor after every load).",
    )
    report_job = dg.define_asset_job(
        REPORT_JOB,
        selection=dg.AssetSelection.assets(REPORT_KEY),
        partitions_def=partitions,
        description="Writes the HTML report of one business date from the marts.",
    )
    marts_automation = dg.AutomationConditionSensorDefinition(
        "marts_automation",
        target=dg.AssetSelection.groups(MARTS_GROUP),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
        description="Refreshes the marts once a load of a table they read has finished.",
    )
    return dg.Definitions(
        assets=[
            *build_qianhub_assets(partitions),
            *build_pospal_assets(pospal_partitions(settings)),
            push_events,
            marts,
            build_report_asset(partitions),
            *build_whale_assets(),
        ],
        jobs=[
            qianhub_job,
            pospal_job,
            push_job,
            marts_job,
            report_job,
            build_whale_notifications_job(),
            build_whale_retry_job(),
        ],
        schedules=[
            nightly_schedule(qianhub_job, settings),
            pospal_nightly_schedule(pospal_job, settings),
            report_schedule(report_job, settings),
        ],
        sensors=[pospal_accounts_sensor, pospal_push_sensor(push_job), marts_automation],
        resources=default_resources(),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
