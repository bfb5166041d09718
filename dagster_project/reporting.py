"""What the CLI prints about the warehouse: per-table row counts and content hashes."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from etl.config import WarehouseSettings

SCHEMAS = ("qianhub", "pospal", "whale", "meta")


def print_tables(console: Console, settings: WarehouseSettings) -> None:
    # Imported here: the CLI imports this module, and a replay's spawned workers import the
    # CLI again as their main module; they must not load DuckDB (etl.pipeline.workers).
    from etl.warehouse import fingerprints
    from etl.warehouse.reader import open_for_reading

    if not settings.warehouse_path.exists():
        console.print(f"no warehouse at {settings.warehouse_path} yet")
        return
    # The read copy: printing must neither create a database nor wait for a running load.
    with open_for_reading(settings) as con:
        prints = fingerprints(con, SCHEMAS)
    table = Table(title=f"Warehouse {settings.warehouse_path}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("content hash (lineage columns excluded)")
    for fp in prints:
        table.add_row(fp.table, f"{fp.rows:,}", fp.content_hash)
    console.print(table)
    for fp in prints:
        # One plain line per table too, for scripts and for comparing two runs with diff.
        console.print(
            f"table {fp.table} rows={fp.rows} hash={fp.content_hash}",
            highlight=False,
            soft_wrap=True,
        )
