"""Which Dagster job and which partitions a vendor's load covers, for ``pos-warehouse load``
and the demo: QianHub runs one partition per business date, Pospal one per date and
configured account (registered on the instance first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from dagster_project.assets.whale import NOTIFICATIONS_JOB, RETRY_JOB
from dagster_project.definitions import MARTS_JOB, POSPAL_JOB, QIANHUB_JOB, REPORT_JOB
from dagster_project.partitions import pospal_key, register_pospal_accounts
from dagster_project.runner import PartitionOutcome, run_partitions
from etl.config import QianhubSettings
from etl.errors import ConfigError
from etl.pospal.settings import PospalTuning, load_accounts

VENDORS = ("qianhub", "pospal")
JOBS = {"qianhub": QIANHUB_JOB, "pospal": POSPAL_JOB}


def check_settings(vendor: str) -> None:
    """Fail at once, naming the variable or account field, when a vendor is not configured."""
    if vendor == "qianhub":
        key_file = QianhubSettings.from_env().private_key_file
        if not key_file.is_file():
            raise ConfigError(f"QIANHUB_PRIVATE_KEY_FILE: no such file: {key_file}")
    else:
        load_accounts()
        PospalTuning.from_env()


def run_vendor(
    vendor: str, defs: dg.Definitions, dates: Sequence[dt.date], instance: dg.DagsterInstance
) -> list[PartitionOutcome]:
    """Run the vendor's job for every partition of ``dates``, oldest date first."""
    job = defs.resolve_job_def(JOBS[vendor])
    if vendor == "qianhub":
        return run_partitions(job, list(dates), instance)
    names = [account.name for account in load_accounts()]
    register_pospal_accounts(instance, names)
    keys = [pospal_key(day.isoformat(), name) for day in dates for name in names]
    return run_partitions(job, keys, instance)


def refresh_marts(
    defs: dg.Definitions, instance: dg.DagsterInstance, report_day: dt.date | None = None
) -> list[PartitionOutcome]:
    """Materialise the marts (and check them) after loads that ran without the Dagster daemon,
    whose ``marts_automation`` sensor would otherwise do it; then, if ``report_day`` is given,
    that day's report."""
    outcomes = run_partitions(defs.resolve_job_def(MARTS_JOB), [None], instance)
    if report_day is not None and outcomes[0].success:
        outcomes += run_partitions(defs.resolve_job_def(REPORT_JOB), [report_day], instance)
    return outcomes


def load_whale(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[PartitionOutcome]:
    """WHALE notification status for the ERP's order ids, then a retry of the failed ones
    (the retry reloads what it re-sent)."""
    outcomes = run_partitions(defs.resolve_job_def(NOTIFICATIONS_JOB), [None], instance)
    if outcomes[0].success:
        outcomes += run_partitions(defs.get_job_def(RETRY_JOB), [None], instance)
    return outcomes
