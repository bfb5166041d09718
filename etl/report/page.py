"""The daily report as one self-contained HTML page.

plotly.js is inlined once in the head (``plotly.offline.get_plotlyjs()``) and every chart is
written with ``include_plotlyjs=False``: the file opens offline, loads nothing from a CDN and
uses no external CSS or fonts. Every data value is passed through ``html.escape``; table
figures are formatted from the ``Decimal`` values (2 places, thousands separators).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no stubs
from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

from etl.report.data import ColumnKind, Table
from etl.report.headline import Change, StoreFigures

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
.wow { display: block; font-size: 0.8em; color: #666; }
.chart { margin: 1em 0; }
"""

HEADLINE = (
    ("net_sales", "net sales"),
    ("transactions", "transactions"),
    ("avg_ticket", "avg ticket"),
    ("refunds", "refunds"),
    ("refund_count", "refund count"),
    ("voids", "voids"),
)


def esc(value: object) -> str:
    return html.escape(str(value))


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _figure_text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return money(value)
    return f"{value:,}"


def change_text(delta: Change | None, is_money: bool) -> str:
    if delta is None:
        return "n/a"
    absolute = f"{delta.absolute:+,.2f}" if is_money else f"{delta.absolute:+,}"
    percent = "n/a" if delta.percent is None else f"{delta.percent:+}%"
    return f"{absolute} ({percent})"


def _headline_row(figures: StoreFigures, css: str = "") -> str:
    cells = [f"<td>{esc(figures.label)}</td>"]
    for name, _ in HEADLINE:
        value = getattr(figures.day, name)
        wow = change_text(figures.change(name), isinstance(value, Decimal))
        cells.append(
            f'<td class="num">{esc(_figure_text(value))}<span class="wow">{esc(wow)}</span></td>'
        )
    return f'<tr class="{css}">{"".join(cells)}</tr>'


def headline_table(stores: Mapping[str, StoreFigures], total: StoreFigures) -> str:
    head = "".join(f"<th>{esc(title)}</th>" for _, title in HEADLINE)
    rows = [_headline_row(s) for s in stores.values()]
    rows.append(_headline_row(total, "total"))
    return f"<table><tr><th>store</th>{head}</tr>{''.join(rows)}</table>"


def _cell(value: Any, kind: ColumnKind) -> str:
    if value is None:
        return "<td></td>"
    if kind == "money":
        return f'<td class="num">{esc(money(Decimal(value)))}</td>'
    if kind == "quantity":
        return f'<td class="num">{esc(f"{Decimal(value):,.3f}")}</td>'
    if kind == "count":
        return f'<td class="num">{esc(f"{int(value):,}")}</td>'
    if kind == "time" and isinstance(value, dt.datetime | dt.date):
        return (
            f"<td>{esc(value.isoformat(sep=' ') if isinstance(value, dt.datetime) else value)}</td>"
        )
    return f"<td>{esc(value)}</td>"


def data_table(table: Table, empty: str) -> str:
    if not table.rows:
        return f"<p>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, k) for v, k in zip(row, table.kinds, strict=True)) + "</tr>"
        for row in table.rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def chart_html(fig: go.Figure, number: int) -> str:
    # Fixed div ids keep the page byte-identical for the same data (plotly defaults to uuids).
    div: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{number}",
        config={"displaylogo": False, "responsive": True},
    )
    return f'<div class="chart">{div}</div>'


def render(
    *,
    day: dt.date,
    store_labels: Sequence[str],
    stores: Mapping[str, StoreFigures],
    total: StoreFigures,
    charts: Sequence[go.Figure],
    events: Table,
    recheckouts: Table,
) -> str:
    earlier = day - dt.timedelta(days=7)
    title = f"Daily report {day.isoformat()} ({day:%A})"
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<p>Stores: {esc(', '.join(store_labels))}</p>",
        "<h2>Headline figures</h2>",
        f"<p>Week-on-week: change against {esc(f'{earlier.isoformat()} ({earlier:%A})')};"
        " n/a where that day has no data (for the total: where any store has none).</p>",
        headline_table(stores, total),
        "<h2>Charts</h2>",
        *(chart_html(fig, n) for n, fig in enumerate(charts, start=1)),
        "<h2>Refunds and voids (newest 50)</h2>",
        data_table(events, "No refunds or voids on this day."),
        "<h2>Re-checkouts</h2>",
        data_table(recheckouts, "No bill was changed after checkout on this day."),
    ]
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{_CSS}</style>\n"
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
