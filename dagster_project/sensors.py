"""Sensors: register configured Pospal accounts as partitions, and turn webhook pushes into
refresh runs. Both read settings when they tick, never when definitions load."""

from __future__ import annotations

import dagster as dg

from dagster_project.partitions import POSPAL_ACCOUNTS
from etl.config import WarehouseSettings
from etl.errors import ConfigError
from etl.pospal.push_store import opened
from etl.pospal.settings import PospalTuning, load_accounts
from etl.webhook.server import push_store_path

PUSH_JOB = "pospal_push_refresh"
_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    name="pospal_accounts",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers configured Pospal accounts (POSPAL_* or POSPAL_ACCOUNTS_FILE) as "
    "partitions so they can be materialised from the UI; removes none.",
)
def pospal_accounts_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    try:
        names = [account.name for account in load_accounts()]
    except ConfigError as exc:
        return dg.SkipReason(f"Pospal is not configured: {exc}")
    assert POSPAL_ACCOUNTS.name is not None
    known = set(context.instance.get_dynamic_partitions(POSPAL_ACCOUNTS.name))
    new = [name for name in names if name not in known]
    if not new:
        return dg.SkipReason(f"all {len(names)} Pospal accounts are registered")
    return dg.SensorResult(dynamic_partitions_requests=[POSPAL_ACCOUNTS.build_add_request(new)])


def pospal_push_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="pospal_push",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a push refresh when the webhook inbox changed since the last one "
        "and none is running: pushes arriving meanwhile wait for the next run, so a burst "
        "costs one run and few vendor calls.",
    )
    def pospal_push(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        path = push_store_path(PospalTuning.from_env(), WarehouseSettings.from_env())
        if not path.exists():
            return dg.SkipReason(f"no push inbox at {path} yet (is the webhook running?)")
        with opened(path) as store:
            counts = store.counts()
            exported = store.exported_through()
        if counts["change_no"] <= exported and not counts["pending"]:
            return dg.SkipReason("no new pushes")
        active = context.instance.get_runs(
            filters=dg.RunsFilter(job_name=job.name, statuses=_ACTIVE), limit=1
        )
        if active:
            return dg.SkipReason(f"refresh run {active[0].run_id} is still going")
        # One run per inbox state: a state whose run could not finish (quota) is not retried
        # until a new push arrives or the nightly look-back re-pulls the day.
        return dg.RunRequest(run_key=f"{job.name}:{counts['change_no']}")

    return pospal_push
