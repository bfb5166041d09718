"""The daily report: one self-contained HTML page of headline figures and charts for a business
date, read from the ``marts`` views of any DuckDB connection that can see them.

    build_report(con, day, stores)  -> Report (html, stores, figures)
    write_report(con, day, out_dir) -> out_dir / "daily-report-<day>[-<stores>].html"

Grain: one page per business date and store selection (all stores with sales by default).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.report import charts, data, headline, page
from etl.report.headline import Change, DayFigures, StoreFigures
from etl.report.stores import ReportError, Store, select_stores, stores_on

__all__ = [
    "Change",
    "DayFigures",
    "Report",
    "ReportError",
    "Store",
    "StoreFigures",
    "build_report",
    "report_path",
    "write_report",
]


@dataclass(frozen=True)
class Report:
    """A built report. ``figures`` maps each shown store's key (its store_id) to its figures on
    the date and 7 days earlier, all money as ``Decimal``; ``total`` sums the shown stores."""

    day: dt.date
    html: str
    stores: list[str]
    figures: dict[str, StoreFigures]
    total: StoreFigures


def build_report(
    con: duckdb.DuckDBPyConnection, day: dt.date, stores: Sequence[str] | None = None
) -> Report:
    """Raises :class:`ReportError` when ``day`` has no sales or a wanted store is unknown."""
    chosen = select_stores(stores_on(con, day), stores, day)
    per_store, total = headline.store_figures(con, day, chosen)
    labels = {s.key: s.label for s in chosen}
    figures = [
        charts.net_sales_by_store(per_store),
        charts.hourly_sales(data.hourly_sales(con, day, chosen), labels),
        charts.payment_mix(data.payment_mix(con, day, chosen), labels),
        charts.top_goods(data.top_goods(con, day, chosen)),
        charts.week_on_week(per_store),
    ]
    text = page.render(
        day=day,
        store_labels=[s.label for s in chosen],
        stores=per_store,
        total=total,
        charts=figures,
        events=data.refunds_and_voids(con, day, chosen),
        recheckouts=data.recheckouts(con, day, chosen),
    )
    return Report(day, text, [s.key for s in chosen], per_store, total)


def report_path(out_dir: Path, day: dt.date, stores: Sequence[str] | None = None) -> Path:
    """``daily-report-<day>.html``, or ``daily-report-<day>-<stores>.html`` when filtered (the
    filters as typed, reduced to characters safe in any file system)."""
    if not stores:
        return out_dir / f"daily-report-{day.isoformat()}.html"
    suffix = "-".join(re.sub(r"[^\w.-]+", "_", s).strip("_") or "_" for s in stores)
    return out_dir / f"daily-report-{day.isoformat()}-{suffix}.html"


def write_report(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    out_dir: Path,
    stores: Sequence[str] | None = None,
) -> Path:
    """Build and write the report atomically (temp file in ``out_dir``, then ``os.replace``):
    a reader never sees half a page, and a failed build leaves no file."""
    report = build_report(con, day, stores)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = report_path(out_dir, day, stores)
    fd, temp = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the report from a web server's user
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(report.html)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
