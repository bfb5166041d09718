"""Run business-day partitions of a job in this process, through the same Dagster job the
schedule launches, against the persistent instance that ``make ui`` shows."""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from etl import errors as project_errors
from etl.config import WarehouseSettings

log = logging.getLogger(__name__)

INSTANCE_YAML = """\
# Written by pos-warehouse. DuckDB takes one writer at a time: steps in the `duckdb` pool run
# one by one across all runs.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


@contextmanager
def _home_lock(home: Path) -> Iterator[None]:
    """Serialise processes setting up one Dagster home: two loads started at once on a new
    home would both create the instance's SQLite schema and one would fail
    ("table alembic_version already exists")."""
    with open(home / ".setup.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def dagster_home(settings: WarehouseSettings) -> Path:
    """``DAGSTER_HOME`` if set, else ``$POS_WAREHOUSE_HOME/dagster`` (created with its yaml)."""
    home = Path(os.environ.get("DAGSTER_HOME") or (settings.home / "dagster")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        with _home_lock(home):
            if not config.exists():  # written whole, then renamed: never read half-written
                temp = home / f".dagster.yaml.{os.getpid()}.tmp"
                temp.write_text(INSTANCE_YAML, encoding="utf-8")
                os.replace(temp, config)
    return home


def instance_for(settings: WarehouseSettings) -> dg.DagsterInstance:
    home = dagster_home(settings)
    os.environ["DAGSTER_HOME"] = str(home)
    with _home_lock(home):  # the first process creates the storage schema, the rest find it
        instance = dg.DagsterInstance.get()
        # Touch every storage now, inside the lock, in case one creates its tables lazily.
        instance.get_runs(limit=1)
        instance.all_instigator_state()
        instance.event_log_storage.get_asset_records([])
        return instance


# The full event log is in the instance (`make ui`); the terminal gets warnings and our summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class PartitionOutcome:
    partition_key: str | None  # None: an unpartitioned job (the marts)
    run_id: str
    success: bool
    errors: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``2026-11-01`` or, for a date × account partition, ``2026-11-01 store-1``."""
        if isinstance(self.partition_key, dg.MultiPartitionKey):
            parts = self.partition_key.keys_by_dimension
            return f"{parts['date']} {parts['account']}"
        return "unpartitioned" if self.partition_key is None else str(self.partition_key)


_OURS = {
    name
    for name, obj in vars(project_errors).items()
    if isinstance(obj, type) and issubclass(obj, Exception)
}
_INTERRUPTS = {"KeyboardInterrupt", "DagsterExecutionInterruptedError", "InterruptException"}


def _chain(error: SerializableErrorInfo | None) -> list[SerializableErrorInfo]:
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    return chain


def _root_cause(error: SerializableErrorInfo | None) -> str:
    """Our own error in the chain (it names vendor, shop, window or variable), else the
    innermost: Dagster wraps ours in 'Error occurred while executing op'."""
    chain = _chain(error)
    if not chain:
        return "unknown error"
    ours = [e for e in chain if e.cls_name in _OURS]
    return (ours[0] if ours else chain[-1]).message.strip()


def _interrupted(result: dg.ExecuteInProcessResult) -> bool:
    if result.dagster_run.status == dg.DagsterRunStatus.CANCELED:
        return True
    failures = [e.step_failure_data.error for e in result.all_events if e.is_step_failure]
    return any(e.cls_name in _INTERRUPTS for f in failures for e in _chain(f))


def _step_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    errors = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        described = data.user_failure_data.description if data.user_failure_data else None
        errors.append(f"{event.step_key}: {described or _root_cause(data.error)}")
    return errors


PID_TAG = "pos-warehouse/pid"
HOST_TAG = "pos-warehouse/host"
_ACTIVE = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the CLI runs whose process is gone (killed, crashed) and free their pool slots.

    An in-process run killed mid-step keeps its ``duckdb`` pool slot claimed; with the pool
    limited to 1, every later run would wait for it forever. Only runs this command started on
    this host (pid tag) are touched, and only when that pid no longer exists.
    """
    released = []
    host = socket.gethostname()
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_ACTIVE, tags={HOST_TAG: host})):
        pid = run.tags.get(PID_TAG)
        if pid is None or not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"process {pid} died before the run finished")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def run_partitions(
    job: dg.JobDefinition, keys: Sequence[dt.date | str | None], instance: dg.DagsterInstance
) -> list[PartitionOutcome]:
    """Run each partition (a business date, or a ``MultiPartitionKey``; None for an
    unpartitioned job) in turn, in process."""
    outcomes = []
    for run_id in release_dead_runs(instance):
        log.warning("released run %s: its process died mid-run (pool slot freed)", run_id)
    tags = {"source": "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    for partition in keys:
        key = partition.isoformat() if isinstance(partition, dt.date) else partition
        result = job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            tags=tags,
            run_config=QUIET,
        )
        outcomes.append(PartitionOutcome(key, result.run_id, result.success, _step_errors(result)))
        if _interrupted(result):
            log.warning("interrupted during %s: not starting the remaining partitions", key)
            break
    return outcomes
