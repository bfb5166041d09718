"""The daily report against hand-made marts: tables with exactly the mart views' columns (so the
test never depends on the mart SQL), two stores of different vendors on two dates 7 days
apart, a return, a void, a voided dish, a re-checkout and a store name that carries a script."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from dagster_project.cli import app
from etl.report import ReportError, build_report, charts, data, write_report
from etl.report.stores import stores_on

DAY = dt.date(2026, 11, 4)  # a Wednesday
WEEK_BEFORE = dt.date(2026, 10, 28)
EMPTY_DAY = dt.date(2026, 11, 5)
HOSTILE = "湘味小馆<script>alert('x')</script>"
SHANGHAI = "上海南京路店"
D = Decimal

MARTS_DDL = """
CREATE SCHEMA marts;
CREATE TABLE marts.daily_sales (
    vendor VARCHAR, store_id VARCHAR, store_name VARCHAR, business_date DATE,
    transactions BIGINT, gross_sales DECIMAL(18,2), discounts DECIMAL(18,2),
    rounding DECIMAL(18,2), refunds DECIMAL(18,2), refund_count BIGINT,
    net_sales DECIMAL(18,2), avg_ticket DECIMAL(18,2), guests BIGINT, void_count BIGINT,
    recheckouts BIGINT);
CREATE TABLE marts.payment_mix (
    vendor VARCHAR, store_id VARCHAR, store_name VARCHAR, business_date DATE,
    payment_method VARCHAR, payment_code VARCHAR, payments BIGINT, amount DECIMAL(18,2),
    share DECIMAL(9,4));
CREATE TABLE marts.top_goods (
    vendor VARCHAR, store_id VARCHAR, store_name VARCHAR, business_date DATE, goods_id BIGINT,
    goods_name VARCHAR, quantity DECIMAL(18,3), amount DECIMAL(18,2), rank BIGINT);
CREATE TABLE marts.hourly_traffic (
    vendor VARCHAR, store_id VARCHAR, store_name VARCHAR, business_date DATE, hour INTEGER,
    transactions BIGINT, net_sales DECIMAL(18,2), guests BIGINT);
CREATE TABLE marts.refunds_and_voids (
    vendor VARCHAR, store_id VARCHAR, store_name VARCHAR, business_date DATE, kind VARCHAR,
    document_id VARCHAR, event_time TIMESTAMP, amount DECIMAL(18,2),
    quantity DECIMAL(18,3), goods_name VARCHAR, reference VARCHAR);
CREATE TABLE marts.recheckout_audit (
    vendor VARCHAR, store_id VARCHAR, store_name VARCHAR, business_date DATE, bill_id BIGINT,
    sn VARCHAR, versions_seen BIGINT, first_undo_index INTEGER, last_undo_index INTEGER,
    first_cashier_on TIMESTAMP, last_cashier_on TIMESTAMP, amount_before DECIMAL(18,2),
    amount_after DECIMAL(18,2), amount_change DECIMAL(18,2));
"""

QH = ("qianhub", "1001", HOSTILE)
PP = ("pospal", "acct-sh", SHANGHAI)

ROWS: dict[str, list[tuple[object, ...]]] = {
    "daily_sales": [
        # QianHub: 300.00 gross - 10.00 discounts - 0.50 rounding = 289.50 over 3 bills.
        (
            *QH,
            DAY,
            3,
            D("300.00"),
            D("10.00"),
            D("0.50"),
            D("0"),
            0,
            D("289.50"),
            D("96.50"),
            7,
            None,
            1,
        ),
        # Pospal: 1,250.00 sold, one 50.00 return: 1,200.00 net over 2 tickets.
        (
            *PP,
            DAY,
            2,
            D("1250.00"),
            D("0"),
            D("0"),
            D("50.00"),
            1,
            D("1200.00"),
            D("600.00"),
            None,
            1,
            None,
        ),
        # A week earlier only QianHub had sales.
        (
            *QH,
            WEEK_BEFORE,
            2,
            D("250.00"),
            D("0"),
            D("0"),
            D("0"),
            0,
            D("250.00"),
            D("125.00"),
            5,
            None,
            0,
        ),
    ],
    "payment_mix": [
        (*QH, DAY, "微信支付", "wx", 2, D("189.50"), D("0.6546")),
        (*QH, DAY, "现金", "cash", 1, D("100.00"), D("0.3454")),
        (*PP, DAY, "支付宝", "payCode_2", 3, D("1200.00"), D("1.0000")),
    ],
    "top_goods": [
        (*QH, DAY, 9007199254740993, "酸菜鱼", D("2.000"), D("176.00"), 1),
        (*QH, DAY, 9007199254740995, "米饭", D("7.000"), D("14.00"), 2),
        (*PP, DAY, 501, "生煎包", D("40.000"), D("800.00"), 1),
        (*PP, DAY, 502, "小笼包", D("20.000"), D("400.00"), 2),
        (*PP, DAY, 503, "米饭", D("3.000"), D("6.00"), 3),
    ],
    "hourly_traffic": [
        (*QH, DAY, 12, 2, D("189.50"), 5),
        (*QH, DAY, 18, 1, D("100.00"), 2),
        (*PP, DAY, 14, 2, D("1200.00"), None),
    ],
    "refunds_and_voids": [
        (
            *PP,
            DAY,
            "return",
            "R-20261104-1",
            dt.datetime(2026, 11, 4, 15, 5),
            D("50.00"),
            D("1.000"),
            "生煎包",
            "T-20261104-7",
        ),
        (
            *PP,
            DAY,
            "void",
            "V-20261104-2",
            dt.datetime(2026, 11, 4, 16, 0),
            D("30.00"),
            D("1.000"),
            None,
            None,
        ),
        (
            *QH,
            DAY,
            "voided_dish",
            "7345678901234567001",
            dt.datetime(2026, 11, 4, 12, 30),
            D("18.00"),
            D("1.000"),
            "酸辣土豆丝",
            None,
        ),
    ],
    "recheckout_audit": [
        (
            *QH,
            DAY,
            7345678901234567890,
            "SN-0001",
            2,
            0,
            1,
            dt.datetime(2026, 11, 4, 12, 10),
            dt.datetime(2026, 11, 4, 12, 40),
            D("100.00"),
            D("1120.00"),
            D("1020.00"),
        ),
    ],
}


def fill_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MARTS_DDL)
    for table, rows in ROWS.items():
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO marts.{table} VALUES ({marks})", rows)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    fill_marts(connection)
    return connection


def test_headline_figures_and_week_on_week(con: duckdb.DuckDBPyConnection) -> None:
    report = build_report(con, DAY)
    assert report.stores == ["acct-sh", "1001"]  # by vendor, then store_id
    qh, pp = report.figures["1001"], report.figures["acct-sh"]
    assert (qh.day.net_sales, qh.day.transactions, qh.day.avg_ticket) == (
        D("289.50"),
        3,
        D("96.50"),
    )
    assert (pp.day.net_sales, pp.day.refunds, pp.day.refund_count) == (D("1200.00"), D("50.00"), 1)
    # One voided dish line at QianHub, one voided ticket at Pospal.
    assert (qh.day.voids, pp.day.voids, report.total.day.voids) == (1, 1, 2)
    assert report.total.day.net_sales == D("1489.50")
    assert report.total.day.transactions == 5
    assert report.total.day.avg_ticket == D("297.90")  # 1,489.50 / 5, not the mean of averages

    change = qh.change("net_sales")
    assert change is not None
    assert (change.absolute, change.percent) == (D("39.50"), D("15.8"))  # vs 250.00
    ticket = qh.change("avg_ticket")
    assert ticket is not None and ticket.absolute == D("-28.50")
    assert pp.previous is None and pp.change("net_sales") is None  # no Pospal data a week ago
    # Pospal is missing a week earlier: a total over QianHub alone would not compare.
    assert report.total.previous is None and report.total.change("net_sales") is None

    page = report.html
    assert "1,489.50" in page and "1,200.00" in page
    assert "+39.50 (+15.8%)" in page
    assert "n/a" in page


def test_week_on_week_is_na_when_the_earlier_day_has_no_data(
    con: duckdb.DuckDBPyConnection,
) -> None:
    report = build_report(con, WEEK_BEFORE)  # 2026-10-21 has nothing
    assert report.total.previous is None
    assert report.total.change("net_sales") is None
    assert report.figures["1001"].change("transactions") is None


def test_chart_and_table_data(con: duckdb.DuckDBPyConnection) -> None:
    stores = stores_on(con, DAY)
    hours = data.hourly_sales(con, DAY, stores)
    assert hours["1001"][12] == D("189.50") and hours["1001"][13] == 0
    assert hours["acct-sh"][14] == D("1200.00") and len(hours["acct-sh"]) == 24
    goods = data.top_goods(con, DAY, stores)
    assert [(g.goods_name, g.amount) for g in goods] == [
        ("生煎包", D("800.00")),
        ("小笼包", D("400.00")),
        ("酸菜鱼", D("176.00")),
        ("米饭", D("20.00")),  # 14.00 + 6.00: matched by name across the two stores
    ]
    events = data.refunds_and_voids(con, DAY, stores)
    assert [row[2] for row in events.rows] == [
        "V-20261104-2",
        "R-20261104-1",
        "7345678901234567001",
    ]  # newest first
    audit = data.recheckouts(con, DAY, stores)
    assert [(row[1], row[-1]) for row in audit.rows] == [(7345678901234567890, D("1020.00"))]


def test_html_is_self_contained_escaped_and_has_every_section(
    con: duckdb.DuckDBPyConnection,
) -> None:
    page = build_report(con, DAY).html
    assert '<meta charset="utf-8">' in page
    for title in (
        charts.NET_SALES_TITLE,
        charts.HOURLY_TITLE,
        charts.PAYMENT_TITLE,
        charts.TOP_GOODS_TITLE,
        charts.WOW_TITLE,
        "Refunds and voids (newest 50)",
        "Re-checkouts",
    ):
        assert title in page
    assert page.count(get_plotlyjs()[:500]) == 1  # plotly.js inlined exactly once
    assert len(re.findall(r"<div id=\"chart-\d\"", page)) == 5
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)\s*=", page, re.IGNORECASE)
    assert "<script>alert" not in page
    assert html.escape(HOSTILE) in page
    assert "1,020.00" in page and "7345678901234567890" in page  # the re-checkout, exact id
    assert "生煎包" in page


def test_store_filter_by_name_or_id_keeps_only_that_store(
    con: duckdb.DuckDBPyConnection,
) -> None:
    by_name = build_report(con, DAY, [SHANGHAI])
    by_id = build_report(con, DAY, ["acct-sh"])
    for report in (by_name, by_id):
        assert report.stores == ["acct-sh"]
        assert list(report.figures) == ["acct-sh"]
        assert report.total.day.net_sales == D("1200.00")
        assert "湘味小馆" not in report.html and "酸菜鱼" not in report.html
    assert by_name.html == by_id.html  # deterministic: fixed chart ids, no timestamps
    qianhub = build_report(con, DAY, ["1001"])
    assert qianhub.total.day.net_sales == D("289.50") and "生煎包" not in qianhub.html
    total_change = qianhub.total.change("net_sales")
    assert total_change is not None
    assert (total_change.absolute, total_change.percent) == (D("39.50"), D("15.8"))


def test_unknown_store_lists_the_known_ones(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ReportError, match="unknown store 'nope' for 2026-11-04") as info:
        build_report(con, DAY, ["acct-sh", "nope"])
    assert "1001" in str(info.value) and "acct-sh" in str(info.value)
    assert SHANGHAI in str(info.value)


def test_a_date_without_data_writes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no sales data for 2026-11-05"):
        write_report(con, EMPTY_DAY, tmp_path / "reports")
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_write_report_names_the_file_and_leaves_no_temp(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_report(con, DAY, tmp_path)
    assert path == tmp_path / "daily-report-2026-11-04.html"
    filtered = write_report(con, DAY, tmp_path, ["acct-sh"])
    assert filtered == tmp_path / "daily-report-2026-11-04-acct-sh.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, filtered.name])
    assert path.read_text(encoding="utf-8") == build_report(con, DAY).html


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    with duckdb.connect(str(home / "warehouse.duckdb")) as warehouse:
        fill_marts(warehouse)
    monkeypatch.setenv("POS_WAREHOUSE_HOME", str(home))
    return home


def test_cli_writes_the_report_and_prints_its_path(home: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--date", "2026-11-04"])
    assert result.exit_code == 0, result.output
    path = home / "reports" / "daily-report-2026-11-04.html"
    assert f"report: {path}" in result.stdout
    assert "1,489.50" in path.read_text(encoding="utf-8")

    out = home / "elsewhere"
    result = CliRunner().invoke(
        app, ["report", "--date", "2026-11-04", "--store", "1001", "--output-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'daily-report-2026-11-04-1001.html'}" in result.stdout


def test_cli_fails_clearly_on_unknown_store_and_empty_date(home: Path) -> None:
    unknown = CliRunner().invoke(app, ["report", "--date", "2026-11-04", "--store", "nope"])
    assert unknown.exit_code == 1
    assert "unknown store 'nope'" in unknown.output and "acct-sh" in unknown.output
    empty = CliRunner().invoke(app, ["report", "--date", "2026-11-05"])
    assert empty.exit_code == 1
    assert "no sales data for 2026-11-05" in empty.output
    assert not (home / "reports").exists() or not any((home / "reports").iterdir())
