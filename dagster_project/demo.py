"""``pos-warehouse demo`` and ``ui``: the embedded QianHub and Pospal simulators on 127.0.0.1
and the same Dagster jobs the schedules run. Only these two commands ever point the loader at
the simulators, and they do it for their own process alone."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from rich.console import Console
from rich.table import Table

from dagster_project import reporting
from dagster_project.definitions import build_definitions
from dagster_project.partitions import register_pospal_accounts
from dagster_project.runner import PartitionOutcome, dagster_home, instance_for
from dagster_project.vendors import VENDORS, load_whale, refresh_marts, run_vendor
from etl.config import WarehouseSettings
from etl.pospal.settings import load_accounts
from etl.quality.marts import reconcile
from etl.report import report_path
from etl.simulator import (
    FaultConfig,
    PospalSimulator,
    PospalWorld,
    QianhubSimulator,
    QianhubWorld,
    ensure_demo_keypair,
)
from etl.simulator.whale_server import simulated_whale_env
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


@contextmanager
def simulated_pospal(
    settings: WarehouseSettings, faults: str, as_of: dt.datetime | None = None
) -> Iterator[dict[str, str]]:
    """Run the Pospal simulator (three stores) and yield the POSPAL_* variables for it: an
    accounts file whose keys come from environment variables, as in production, and a call
    budget of the simulator's own (a fresh simulator is a fresh vendor day)."""
    folder = settings.home / "simulator"
    folder.mkdir(parents=True, exist_ok=True)
    world = PospalWorld(rule=settings.rule, as_of=as_of)
    env: dict[str, str] = {}
    tables = []
    with (
        PospalSimulator(
            world, accounts=world.accounts(), faults=FaultConfig.parse(faults)
        ) as simulator,
        TemporaryDirectory(prefix="pospal-budget-") as budget_dir,
    ):
        for store in world.stores():
            key_var = f"POSPAL_DEMO_KEY_{store.index + 1}"
            env[key_var] = store.app_key
            tables.append(
                f'[[accounts]]\nname = "store-{store.index + 1}"\nbase_url = "{simulator.url}"\n'
                f'app_id = "{store.app_id}"\napp_key_env = "{key_var}"\n'
            )
        accounts_file = folder / "pospal-accounts.toml"
        accounts_file.write_text("\n".join(tables), encoding="utf-8")
        env.update(
            {
                "POSPAL_ACCOUNTS_FILE": str(accounts_file),
                "POSPAL_BUDGET_FILE": str(Path(budget_dir) / "pospal-budget.sqlite"),
                "POSPAL_TIMEOUT_SECONDS": "5",
            }
        )
        yield env


@contextmanager
def simulated_vendors(
    settings: WarehouseSettings, faults: str, as_of: dt.datetime | None = None
) -> Iterator[dict[str, str]]:
    """Both simulators; the variables of both, with any POSPAL_* setting of ours cleared."""
    with ExitStack() as stack:
        env = stack.enter_context(simulated_qianhub(settings, faults, as_of))
        env.update(stack.enter_context(simulated_pospal(settings, faults, as_of)))
        env.update(stack.enter_context(simulated_whale_env(settings.home / "simulator")))
        for name in ("POSPAL_BASE_URL", "POSPAL_APP_ID", "POSPAL_APP_KEY"):
            os.environ.pop(name, None)
        yield env


DEMO_QUERIES = ("queries/demo_daily_sales.sql", "queries/demo_pospal_daily_sales.sql")
MARTS_QUERY = "queries/demo_marts_daily_sales.sql"


def _print_query(
    console: Console, settings: WarehouseSettings, query: str, first: dt.date, last: dt.date
) -> None:
    with connected(settings.warehouse_path) as con:
        cursor = con.execute(read_sql(query), [first, last])
        names = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    table = Table(title=f"Analyst query: sql/{query}")
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


def _print_marts(console: Console, settings: WarehouseSettings, day: dt.date) -> None:
    """The last demo day in marts.daily_sales, one plain line per store, and how each vendor's
    figures reconcile with its own totals."""
    with connected(settings.warehouse_path) as con:
        cursor = con.execute(read_sql(MARTS_QUERY), [day])
        names = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
        checks = {vendor: reconcile(con, vendor) for vendor in VENDORS}
    console.print(f"marts.daily_sales for business date {day} (sql/{MARTS_QUERY}):")
    console.print("  " + " | ".join(names), highlight=False)
    for row in rows:
        console.print("  " + " | ".join("" if v is None else str(v) for v in row), highlight=False)
    for vendor, found in checks.items():
        matching = sum(r.matches for r in found)
        console.print(
            f"reconciliation {vendor}: {matching} of {len(found)} store-days match the vendor's "
            "own totals",
            highlight=False,
        )


def _days_loaded(outcomes: list[PartitionOutcome], dates: list[dt.date]) -> int:
    """Business days on which every partition of every vendor succeeded."""
    failed = {o.label.split(" ")[0] for o in outcomes if not o.success}
    return sum(day.isoformat() not in failed for day in dates)


def run_demo(console: Console, start: dt.date, days: int, faults: str) -> int:
    settings = WarehouseSettings.from_env()
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    console.print(f"demo: simulator faults {faults!r}; warehouse {settings.warehouse_path}")
    # The simulated clock stands at noon after the last demo day, so every run is identical.
    as_of = dt.datetime.combine(dates[-1] + dt.timedelta(days=1), dt.time(12, 0))
    outcomes: list[PartitionOutcome] = []
    with simulated_vendors(settings, faults, as_of) as env:
        os.environ.update(env)
        defs = build_definitions(settings)
        instance = instance_for(settings)
        for vendor in VENDORS:
            done = run_vendor(vendor, defs, dates, instance)
            outcomes += done
            for outcome in done:
                state = "ok" if outcome.success else "FAILED"
                console.print(f"{vendor} {outcome.label}: {state}")
                for error in outcome.errors:
                    console.print(f"  {error}", markup=False, highlight=False)
        whale = load_whale(defs, instance)
        for outcome, what in zip(whale, ("notifications", "retry of failed"), strict=False):
            console.print(f"whale {what}: {'ok' if outcome.success else 'FAILED'}")
            for error in outcome.errors:
                console.print(f"  {error}", markup=False, highlight=False)
        analysts = refresh_marts(defs, instance, report_day=dates[-1])
        for outcome in analysts:
            state = "ok" if outcome.success else "FAILED"
            what = "marts" if outcome.partition_key is None else f"report {outcome.label}"
            console.print(f"{what}: {state}")
            for error in outcome.errors:
                console.print(f"  {error}", markup=False, highlight=False)
    reporting.print_tables(console, settings)
    for query in DEMO_QUERIES:
        _print_query(console, settings, query, dates[0], dates[-1])
    _print_marts(console, settings, dates[-1])
    report = report_path(settings.home / "reports", dates[-1])
    console.print(f"demo: report {report.resolve()}", highlight=False, soft_wrap=True)
    loaded = _days_loaded(outcomes, dates)
    console.print(f"demo: {loaded} of {len(dates)} business days loaded")
    fine = all(o.success for o in [*analysts, *whale])
    return 0 if loaded == len(dates) and fine else 1


def run_ui(console: Console, port: int) -> int:
    settings = WarehouseSettings.from_env()
    with simulated_vendors(settings, faults="") as env:
        os.environ.update(env)
        accounts = [account.name for account in load_accounts()]
        register_pospal_accounts(instance_for(settings), accounts)
        env = {**os.environ, **env, "DAGSTER_HOME": str(dagster_home(settings))}
        console.print(
            f"Dagster UI on http://127.0.0.1:{port} (QianHub simulator at "
            f"{env['QIANHUB_GATEWAY_URL']}, Pospal accounts in {env['POSPAL_ACCOUNTS_FILE']}); "
            "Ctrl-C stops all."
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
