"""Run business-day partitions of a job in this process, through the same Dagster job the
schedule launches, against the persistent instance that ``make ui`` shows."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from etl.config import WarehouseSettings

INSTANCE_YAML = """\
# Written by pos-warehouse. DuckDB takes one writer at a time: steps in the `duckdb` pool run
# one by one across all runs.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def dagster_home(settings: WarehouseSettings) -> Path:
    """``DAGSTER_HOME`` if set, else ``$POS_WAREHOUSE_HOME/dagster`` (created with its yaml)."""
    home = Path(os.environ.get("DAGSTER_HOME") or (settings.home / "dagster")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    return home


def instance_for(settings: WarehouseSettings) -> dg.DagsterInstance:
    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    return dg.DagsterInstance.get()


# The full event log is in the instance (`make ui`); the terminal gets warnings and our summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class PartitionOutcome:
    partition_key: str
    run_id: str
    success: bool
    errors: list[str] = field(default_factory=list)


def _root_cause(error: SerializableErrorInfo | None) -> str:
    """The innermost error: Dagster wraps ours in 'Error occurred while executing op'."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def _step_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    errors = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        described = data.user_failure_data.description if data.user_failure_data else None
        errors.append(f"{event.step_key}: {described or _root_cause(data.error)}")
    return errors


def run_partitions(
    job: dg.JobDefinition, dates: list[dt.date], instance: dg.DagsterInstance
) -> list[PartitionOutcome]:
    outcomes = []
    for day in dates:
        key = day.isoformat()
        result = job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            tags={"source": "cli"},
            run_config=QUIET,
        )
        outcomes.append(PartitionOutcome(key, result.run_id, result.success, _step_errors(result)))
    return outcomes
