"""``pos-warehouse``: the headless entry point.

``load`` and ``demo`` materialise business-day partitions through the Dagster job the nightly
schedule runs (not a second code path); ``replay`` re-loads landed raw pages without the API.
Settings come from the environment or ``.env``; secrets are never printed.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from enum import StrEnum
from typing import Annotated

import typer
from dotenv import load_dotenv
from rich.console import Console

from dagster_project import reporting
from etl.business_day import date_range
from etl.config import QianhubSettings, WarehouseSettings
from etl.errors import ConfigError, PosWarehouseError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="pos-warehouse: load POS vendor APIs into DuckDB + Parquet through Dagster. "
    "Settings come from the environment or .env (see .env.example).",
)
# Wide enough for the tables when output goes to a file or CI log rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


class Vendor(StrEnum):
    qianhub = "qianhub"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {text!r}") from exc


StartOpt = Annotated[str, typer.Option("--start", help="First business date, YYYY-MM-DD.")]
EndOpt = Annotated[str, typer.Option("--end", help="Last business date (included).")]
VendorOpt = Annotated[Vendor, typer.Option("--vendor", help="Which vendor to load.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@app.command()
def load(vendor: VendorOpt, start: StartOpt, end: EndOpt) -> None:
    """Materialise business-day partitions through Dagster; non-zero exit names what failed."""
    from dagster_project.definitions import QIANHUB_JOB, build_definitions
    from dagster_project.runner import instance_for, run_partitions

    try:
        dates = date_range(_date(start), _date(end))
        settings = WarehouseSettings.from_env()
        QianhubSettings.from_env().private_key_file.resolve(strict=True)
    except FileNotFoundError as exc:
        raise _fail(f"QIANHUB_PRIVATE_KEY_FILE: no such file: {exc.filename}") from None
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    job = build_definitions(settings).resolve_job_def(QIANHUB_JOB)
    outcomes = run_partitions(job, dates, instance_for(settings))
    failed = [o for o in outcomes if not o.success]
    for outcome in outcomes:
        state = "[green]ok[/]" if outcome.success else "[red]FAILED[/]"
        console.print(f"{vendor.value} {outcome.partition_key}: {state} (run {outcome.run_id})")
        for error in outcome.errors:
            err.print(f"  {error}", highlight=False, markup=False)
    if failed:
        raise _fail(f"{len(failed)} of {len(outcomes)} partitions failed")
    reporting.print_tables(console, settings)


@app.command()
def replay(vendor: VendorOpt, start: StartOpt, end: EndOpt) -> None:
    """Re-load landed raw pages into the warehouse without calling the vendor."""
    from etl.pipeline.qianhub import landed_shops, replay_shop_day, replay_shops
    from etl.raw import RawStore
    from etl.warehouse import Warehouse

    settings = WarehouseSettings.from_env()
    raw = RawStore(settings.raw_dir)
    loaded = 0
    with Warehouse.open(settings) as wh:
        replay_shops(wh, raw)
        for day in date_range(_date(start), _date(end)):
            for shop_id in landed_shops(raw, day):
                result = replay_shop_day(wh, raw, shop_id, day, settings=settings)
                loaded += result is not None
                console.print(f"{vendor.value} {day} shop {shop_id}: replayed")
    if not loaded:
        raise _fail(f"nothing landed under {settings.raw_dir} for {start}..{end}")
    reporting.print_tables(console, settings)


@app.command()
def tables() -> None:
    """Row counts and content hashes of every warehouse table."""
    reporting.print_tables(console, WarehouseSettings.from_env())


@app.command()
def demo(
    start: Annotated[str, typer.Option(help="First business date of the demo.")] = "2026-11-01",
    days: Annotated[int, typer.Option(help="How many business days to load.")] = 3,
    faults: Annotated[
        str, typer.Option(help="Simulator faults, e.g. '5xx=0.05,drop=0.02,malformed=0.01'.")
    ] = "5xx=0.03,drop=0.01,slow=0.02,malformed=0.01",
) -> None:
    """Start the embedded QianHub simulator and load a few business days through Dagster."""
    from dagster_project.demo import run_demo

    code = run_demo(console, _date(start), days, faults)
    raise typer.Exit(code)


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Dagster UI port.")] = 3000,
) -> None:
    """Start `dagster dev` against the embedded simulator (click Materialize in the UI)."""
    from dagster_project.demo import run_ui

    raise typer.Exit(run_ui(console, port))


def main() -> None:
    load_dotenv(".env", override=False)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs full request URLs at INFO; keep it quiet whatever the root level becomes.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        app()
    except PosWarehouseError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
