"""``pos-warehouse demo`` and ``ui``: the embedded QianHub simulator on 127.0.0.1 and the same
Dagster job the schedule runs. Only these two commands ever point the loader at the simulator,
and they do it for their own process alone."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table

from dagster_project import reporting
from dagster_project.definitions import QIANHUB_JOB, build_definitions
from dagster_project.runner import dagster_home, instance_for, run_partitions
from etl.config import WarehouseSettings
from etl.simulator import FaultConfig, QianhubSimulator, QianhubWorld, ensure_demo_keypair
from etl.sql_files import read_sql
from etl.warehouse.connection import connected


@contextmanager
def simulated_qianhub(
    settings: WarehouseSettings, faults: str, as_of: dt.datetime | None = None
) -> Iterator[dict[str, str]]:
    """Run the simulator and yield the QIANHUB_* variables that point at it."""
    keys = ensure_demo_keypair(settings.home / "simulator")
    world = QianhubWorld(rule=settings.rule, as_of=as_of)
    with QianhubSimulator(
        world, apps={keys.app_id: keys.public_key}, faults=FaultConfig.parse(faults)
    ) as simulator:
        yield {
            "QIANHUB_GATEWAY_URL": simulator.url,
            "QIANHUB_APP_ID": keys.app_id,
            "QIANHUB_PRIVATE_KEY_FILE": str(keys.private_key_file),
        }


def _print_query(
    console: Console, settings: WarehouseSettings, first: dt.date, last: dt.date
) -> None:
    with connected(settings.warehouse_path) as con:
        cursor = con.execute(read_sql("queries/demo_daily_sales.sql"), [first, last])
        names = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    table = Table(title="Analyst query: sql/queries/demo_daily_sales.sql")
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


def run_demo(console: Console, start: dt.date, days: int, faults: str) -> int:
    settings = WarehouseSettings.from_env()
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    console.print(f"demo: simulator faults {faults!r}; warehouse {settings.warehouse_path}")
    # The simulated clock stands at noon after the last demo day, so every run is identical.
    as_of = dt.datetime.combine(dates[-1] + dt.timedelta(days=1), dt.time(12, 0))
    with simulated_qianhub(settings, faults, as_of) as env:
        os.environ.update(env)
        job = build_definitions(settings).resolve_job_def(QIANHUB_JOB)
        outcomes = run_partitions(job, dates, instance_for(settings))
    for outcome in outcomes:
        console.print(f"qianhub {outcome.partition_key}: {'ok' if outcome.success else 'FAILED'}")
        for error in outcome.errors:
            console.print(f"  {error}", markup=False, highlight=False)
    reporting.print_tables(console, settings)
    _print_query(console, settings, dates[0], dates[-1])
    failed = sum(not o.success for o in outcomes)
    console.print(f"demo: {len(outcomes) - failed} of {len(outcomes)} business days loaded")
    return 1 if failed else 0


def run_ui(console: Console, port: int) -> int:
    settings = WarehouseSettings.from_env()
    with simulated_qianhub(settings, faults="") as env:
        env = {**os.environ, **env, "DAGSTER_HOME": str(dagster_home(settings))}
        console.print(
            f"Dagster UI on http://127.0.0.1:{port} (QianHub simulator at "
            f"{env['QIANHUB_GATEWAY_URL']}); Ctrl-C stops both."
        )
        command = [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-m",
            "dagster_project.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ]
        try:
            return subprocess.call(command, env=env)
        except KeyboardInterrupt:
            return 0
