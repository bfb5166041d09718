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
from typing import TYPE_CHECKING, Annotated

import typer
from dotenv import load_dotenv
from rich.console import Console

from dagster_project import reporting
from etl.business_day import date_range
from etl.config import WarehouseSettings
from etl.errors import ConfigError, PosWarehouseError

if TYPE_CHECKING:
    from etl.raw import RawStore
    from etl.warehouse import Warehouse

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
    pospal = "pospal"
    all = "all"

    def each(self) -> list[str]:
        return ["qianhub", "pospal"] if self is Vendor.all else [self.value]


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
    """Materialise business-day partitions through Dagster; non-zero exit names what failed.
    Pospal runs one partition per business date and configured account."""
    from dagster_project.definitions import build_definitions
    from dagster_project.runner import instance_for
    from dagster_project.vendors import check_settings, refresh_marts, run_vendor

    try:
        dates = date_range(_date(start), _date(end))
        settings = WarehouseSettings.from_env()
        for name in vendor.each():
            check_settings(name)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    defs = build_definitions(settings)
    instance = instance_for(settings)
    failed = total = 0
    for name in vendor.each():
        outcomes = run_vendor(name, defs, dates, instance)
        total += len(outcomes)
        failed += sum(not o.success for o in outcomes)
        for outcome in outcomes:
            state = "[green]ok[/]" if outcome.success else "[red]FAILED[/]"
            console.print(f"{name} {outcome.label}: {state} (run {outcome.run_id})")
            for error in outcome.errors:
                err.print(f"  {error}", highlight=False, markup=False)
    # Without the Dagster daemon no sensor refreshes the marts: do it here, loads or not.
    marts_ok = True
    for outcome in refresh_marts(defs, instance):
        marts_ok = outcome.success
        state = "[green]ok[/]" if outcome.success else "[red]FAILED[/]"
        console.print(f"marts: {state} (run {outcome.run_id})")
        for error in outcome.errors:
            err.print(f"  {error}", highlight=False, markup=False)
    if failed:
        raise _fail(f"{failed} of {total} partitions failed")
    if not marts_ok:
        raise _fail("the marts refresh failed")
    reporting.print_tables(console, settings)


def _replay_qianhub(
    wh: Warehouse, raw: RawStore, dates: list[dt.date], settings: WarehouseSettings
) -> int:
    from etl.pipeline.qianhub import landed_shops, replay_days, replay_shops

    loaded = 0
    replay_shops(wh, raw)
    units = [(day, shop_id) for day in dates for shop_id in landed_shops(raw, day)]
    for day, shop_id, result in replay_days(wh, raw, units, settings=settings):
        loaded += result is not None
        console.print(f"qianhub {day} shop {shop_id}: replayed")
    return loaded


def _replay_pospal(
    wh: Warehouse, raw: RawStore, dates: list[dt.date], settings: WarehouseSettings
) -> int:
    from etl.pipeline.pospal import landed_accounts
    from etl.pipeline.pospal_replay import replay_account_days

    loaded = 0
    pairs = [(day, account) for day in dates for account in landed_accounts(raw, day)]
    for day, account, units in replay_account_days(wh, raw, pairs, settings=settings):
        loaded += bool(units)
        console.print(f"pospal {day} account {account}: replayed {len(units)} units")
    return loaded


@app.command()
def replay(vendor: VendorOpt, start: StartOpt, end: EndOpt) -> None:
    """Re-load landed raw pages into the warehouse without calling the vendor."""
    from etl.raw import RawStore
    from etl.warehouse import Warehouse

    settings = WarehouseSettings.from_env()
    dates = date_range(_date(start), _date(end))
    raw = RawStore(settings.raw_dir)
    replayers = {"qianhub": _replay_qianhub, "pospal": _replay_pospal}
    loaded = 0
    with Warehouse.open(settings) as wh:
        for name in vendor.each():
            loaded += replayers[name](wh, raw, dates, settings)
    if not loaded:
        raise _fail(f"nothing landed under {settings.raw_dir} for {start}..{end}")
    reporting.print_tables(console, settings)


@app.command()
def tables() -> None:
    """Row counts and content hashes of every warehouse table."""
    reporting.print_tables(console, WarehouseSettings.from_env())


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="The query, e.g. 'FROM marts.daily_sales'.")],
    limit: Annotated[int, typer.Option("--limit", help="Print at most this many rows.")] = 200,
) -> None:
    """Run a query on the published read copy (warehouse-read.duckdb), for quick checks: it
    never waits for a running load, nor holds one up. Prints the result as a table."""
    import duckdb
    from rich.table import Table
    from rich.text import Text

    from etl.warehouse.reader import NoReadCopyError, open_reader

    try:
        con = open_reader(WarehouseSettings.from_env())
    except NoReadCopyError as exc:
        raise _fail(str(exc)) from None
    with con:
        try:
            result = con.execute(query)
            columns = [d[0] for d in result.description or []]
            rows = result.fetchmany(limit + 1) if columns else []
        except duckdb.Error as exc:
            raise _fail(str(exc)) from None
    table = Table()
    for column in columns:  # Text: names and values are data, never rich markup
        table.add_column(Text(column))
    for row in rows[:limit]:
        table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))
    console.print(table)
    shown = min(len(rows), limit)
    more = "first " if len(rows) > limit else ""
    console.print(f"{more}{shown} row{'' if shown == 1 else 's'}", highlight=False)


@app.command()
def demo(
    start: Annotated[str, typer.Option(help="First business date of the demo.")] = "2026-11-01",
    days: Annotated[int, typer.Option(help="How many business days to load.")] = 3,
    faults: Annotated[
        str, typer.Option(help="Simulator faults, e.g. '5xx=0.05,drop=0.02,malformed=0.01'.")
    ] = "5xx=0.03,drop=0.01,slow=0.02,malformed=0.01",
) -> None:
    """Start the embedded QianHub and Pospal simulators and load a few business days of both
    through Dagster."""
    from dagster_project.demo import run_demo

    code = run_demo(console, _date(start), days, faults)
    raise typer.Exit(code)


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Dagster UI port.")] = 3000,
) -> None:
    """Start `dagster dev` against the embedded simulators (click Materialize in the UI)."""
    from dagster_project.demo import run_ui

    raise typer.Exit(run_ui(console, port))


@app.command()
def webhook(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8780,
) -> None:
    """Receive Pospal pushes at POST /pospal/push (GET /healthz) for every configured account;
    each is stored durably before the 200. Put it behind a TLS reverse proxy (README)."""
    from etl.webhook.server import serve

    serve(host, port, WarehouseSettings.from_env())


pospal_app = typer.Typer(no_args_is_help=True, help="Pospal account tools.")
app.add_typer(pospal_app, name="pospal")


class PushUrlAction(StrEnum):
    show = "show"
    set = "set"


@pospal_app.command("push-url")
def push_url(
    action: Annotated[PushUrlAction, typer.Argument(help="show: where pushes go; set: change it.")],
    url: Annotated[str | None, typer.Argument(help="For set: the public https URL.")] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="One account (default: every one).")
    ] = None,
) -> None:
    """Show or set where Pospal pushes each account's notifications (queryPushUrl /
    updatePushUrl; each call counts against the account's daily quota)."""
    from dagster_project.resources import PospalResource
    from etl.pospal.push_url import push_url_of, set_push_url

    if action is PushUrlAction.set and not url:
        raise _fail("set needs the URL, e.g. https://etl.example.com/pospal/push")
    resource = PospalResource()
    settings = WarehouseSettings.from_env()
    accounts = [resource.account(account)] if account else resource.accounts()
    budget = resource.budget(settings)
    for one in accounts:
        with resource.get_client(one, budget) as client:
            if action is PushUrlAction.set:
                assert url is not None
                set_push_url(client, url)
            console.print(f"pospal {one.name}: {push_url_of(client)}", highlight=False)


@app.command()
def docs(
    output: Annotated[
        str, typer.Option("--output", help="Where to write the Markdown data dictionary.")
    ] = "docs/data-dictionary.md",
) -> None:
    """Write the data dictionary (every table, view and column with its DDL comment) from the
    DDL alone: no warehouse file needed. Exits 1, after writing, naming anything uncommented."""
    from pathlib import Path

    from etl.warehouse.catalog import missing_comments
    from etl.warehouse.dictionary import build_dictionary, render_markdown

    relations = build_dictionary()
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(relations), encoding="utf-8")
    tables = sum(r.kind == "table" for r in relations)
    views = len(relations) - tables
    columns = sum(len(r.columns) for r in relations)
    console.print(
        f"docs: {tables} tables, {views} views, {columns} columns -> {path}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if missing := missing_comments(relations):
        raise _fail(f"{len(missing)} objects have no comment: {', '.join(missing)}")


@app.command()
def report(
    date: Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")],
    store: Annotated[
        list[str] | None,
        typer.Option("--store", help="Only this store (id or name); repeat for several."),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir", help="Where to write it (default: $POS_WAREHOUSE_HOME/reports)."
        ),
    ] = None,
) -> None:
    """Write the daily report (headline figures, charts, refunds, re-checkouts) from the marts
    as one self-contained HTML file that opens offline."""
    from pathlib import Path

    from etl.report import ReportError, write_report
    from etl.warehouse.reader import open_for_reading

    day = _date(date)
    settings = WarehouseSettings.from_env()
    if not settings.warehouse_path.exists():
        raise _fail(f"no warehouse at {settings.warehouse_path} yet")
    out_dir = Path(output_dir) if output_dir else settings.home / "reports"
    # The read copy: a report must neither create a database nor wait for a running load.
    with open_for_reading(settings) as con:
        try:
            path = write_report(con, day, out_dir, store or None)
        except ReportError as exc:
            raise _fail(str(exc)) from None
    console.print(f"report: {path}", highlight=False, markup=False, soft_wrap=True)


# WHALE e-voucher admin commands live in their own module.
from dagster_project.cli_whale import whale_app  # noqa: E402

app.add_typer(whale_app, name="whale")


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
