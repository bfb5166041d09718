"""The daily report's plotly figures (``plotly.graph_objects`` only; no pandas).

Money is ``Decimal`` up to here and is converted to ``float`` only in :func:`plot_value`, when
handed to plotly for drawing; every figure printed as text is formatted from the ``Decimal``.
Labels are HTML-escaped because plotly renders label text as a subset of HTML (it turns the
entities back into the literal characters on screen).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal

import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no stubs

from etl.report.data import GoodsTotal, PaymentShare
from etl.report.headline import StoreFigures

NET_SALES_TITLE = "Net sales by store"
HOURLY_TITLE = "Net sales by hour of day"
PAYMENT_TITLE = "Payment mix by store"
TOP_GOODS_TITLE = "Top 10 goods by amount"
WOW_TITLE = "Week-on-week change in net sales"

_LAYOUT = {"template": "plotly_white", "height": 380, "margin": {"l": 60, "r": 20, "t": 50}}


def plot_value(amount: Decimal) -> float:
    """The one place money becomes float: plotly draws floats. Tables never use this."""
    return float(amount)


def _label(text: str) -> str:
    return html.escape(text)


def _figure(title: str, **layout: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title={"text": _label(title)}, **_LAYOUT, **layout)
    return fig


def net_sales_by_store(stores: Mapping[str, StoreFigures]) -> go.Figure:
    fig = _figure(NET_SALES_TITLE, yaxis_title="net sales")
    fig.add_trace(
        go.Bar(
            x=[_label(s.label) for s in stores.values()],
            y=[plot_value(s.day.net_sales) for s in stores.values()],
            text=[f"{s.day.net_sales:,.2f}" for s in stores.values()],
        )
    )
    return fig


def hourly_sales(hours: Mapping[str, Sequence[Decimal]], labels: Mapping[str, str]) -> go.Figure:
    fig = _figure(
        HOURLY_TITLE, xaxis={"title": "hour (shop-local)", "dtick": 1, "range": [-0.5, 23.5]}
    )
    for key, values in hours.items():
        fig.add_trace(
            go.Scatter(
                x=list(range(24)),
                y=[plot_value(v) for v in values],
                mode="lines+markers",
                name=_label(labels[key]),
            )
        )
    return fig


def payment_mix(shares: Sequence[PaymentShare], labels: Mapping[str, str]) -> go.Figure:
    """One stacked bar per store, one trace per payment method (returns stack below zero)."""
    fig = _figure(PAYMENT_TITLE, barmode="relative", yaxis_title="amount")
    methods = sorted({s.method for s in shares})
    keys = list(labels)
    for method in methods:
        amounts = {s.store_key: s.amount for s in shares if s.method == method}
        fig.add_trace(
            go.Bar(
                x=[_label(labels[k]) for k in keys],
                y=[plot_value(amounts[k]) if k in amounts else None for k in keys],
                name=_label(method),
            )
        )
    return fig


def top_goods(goods: Sequence[GoodsTotal]) -> go.Figure:
    fig = _figure(TOP_GOODS_TITLE, xaxis_title="amount", yaxis={"autorange": "reversed"})
    fig.add_trace(
        go.Bar(
            x=[plot_value(g.amount) for g in goods],
            y=[_label(g.goods_name) for g in goods],
            text=[f"{g.amount:,.2f}" for g in goods],
            orientation="h",
        )
    )
    return fig


def week_on_week(stores: Mapping[str, StoreFigures]) -> go.Figure:
    """Absolute change per store, labelled with the percentage; "n/a" without last week's data."""
    fig = _figure(WOW_TITLE, yaxis_title="change vs. same weekday last week")
    ys: list[float | None] = []
    texts: list[str] = []
    for s in stores.values():
        delta = s.change("net_sales")
        ys.append(None if delta is None else plot_value(delta.absolute))
        if delta is None:
            texts.append("n/a")
        elif delta.percent is None:
            texts.append(f"{delta.absolute:+,.2f}")
        else:
            texts.append(f"{delta.absolute:+,.2f} ({delta.percent:+}%)")
    xs = [_label(s.label) for s in stores.values()]
    fig.add_trace(go.Bar(x=xs, y=ys, text=texts))
    for x, y, text in zip(xs, ys, texts, strict=True):
        if y is None:  # no bar to carry the label
            fig.add_annotation(x=x, y=0, text=text, showarrow=False, yshift=10)
    return fig
