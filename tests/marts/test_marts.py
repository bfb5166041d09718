"""Mart figures on the hand-checked warehouse of ``conftest.py``: every number below is worked
out by hand from those rows, so a mart that counts a void, forgets to negate a return or counts
a re-checkout twice fails here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import duckdb

from etl.quality.marts import reconcile
from tests.marts.conftest import ACCOUNT, BILL_A, BILL_B, DAY, SHOP

DATE = dt.date.fromisoformat(DAY)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def test_daily_sales_per_vendor(hand_warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT vendor, store_id, store_name, business_date, transactions, gross_sales, "
        "discounts, rounding, refunds, refund_count, net_sales, avg_ticket, guests, void_count, "
        "recheckouts FROM marts.daily_sales ORDER BY vendor",
    )
    assert rows == [
        # 3 sales (void and return excluded, 02:00 ticket counted the day before); line totals
        # 50 + 88.88 + 10; whole-ticket discount 5.00; 0.88 rounded; return 20.00.
        ("pospal", ACCOUNT, ACCOUNT, DATE, 3, D("148.88"), D("5.00"), D("0.88"), D("20.00"),
         1, D("123.00"), D("47.67"), None, 1, None),
        # 2 bills, the re-checkout once at its latest version: 100 + 60 gross, 10 + 5 + 2
        # discounts, 0.50 rounding, paid 84.50 + 58.00; 2 + 1 guests.
        ("qianhub", str(SHOP), "一号店", DATE, 2, D("160.00"), D("17.00"), D("0.50"),
         D("0.00"), 0, D("142.50"), D("71.25"), 3, None, 1),
    ]  # fmt: skip
    for vendor, *_, gross, discounts, rounding, refunds, _n, net in _rows(
        hand_warehouse,
        "SELECT vendor, gross_sales, discounts, rounding, refunds, refund_count, net_sales "
        "FROM marts.daily_sales",
    ):
        assert gross - discounts - rounding - refunds == net, vendor  # type: ignore[operator]


def test_payment_mix_adds_up_to_net_sales(hand_warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT vendor, payment_method, payment_code, payments, amount, share "
        "FROM marts.payment_mix ORDER BY vendor, amount DESC",
    )
    assert rows == [
        # The voided ticket's 99.00 is left out; the return's 20.00 counts negative.
        ("pospal", "微信", "payCode_7", 1, D("88.00"), D("0.7154")),
        ("pospal", "现金", "payCode_1", 3, D("35.00"), D("0.2846")),
        # Cash is value minus change: 60.00 - 2.00.
        ("qianhub", "微信", "2405", 1, D("84.50"), D("0.5930")),
        ("qianhub", "现金", "2401", 1, D("58.00"), D("0.4070")),
    ]


def test_top_goods_ranks_net_of_returns_and_sent_back_dishes(
    hand_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT vendor, goods_id, goods_name, quantity, amount, rank "
        "FROM marts.top_goods ORDER BY vendor, rank",
    )
    assert rows == [
        ("pospal", 9100000000000000003, "大米 5kg", D("2.000"), D("88.88"), 1),
        ("pospal", 9100000000000000001, "牛奶", D("1.000"), D("30.00"), 2),
        ("pospal", 9100000000000000005, "矿泉水", D("5.000"), D("10.00"), 3),
        # Sold once, returned once: nothing left.
        ("pospal", 9100000000000000002, "面包", D("0.000"), D("0.00"), 4),
        ("qianhub", 501, "宫保鸡丁", D("3.000"), D("144.00"), 1),
        # 3 + 6 ordered, 1 sent back.
        ("qianhub", 502, "米饭", D("8.000"), D("16.00"), 2),
    ]


def test_hourly_traffic_follows_the_shop_clock(hand_warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT vendor, business_date, hour, transactions, net_sales, guests "
        "FROM marts.hourly_traffic ORDER BY vendor, hour",
    )
    assert rows == [
        ("pospal", DATE, 2, 1, D("10.00"), None),  # 02:00 next morning, same business day
        ("pospal", DATE, 10, 1, D("45.00"), None),
        ("pospal", DATE, 11, 1, D("88.00"), None),
        ("pospal", DATE, 15, 0, D("-20.00"), None),  # the return; the 16:00 void is absent
        ("qianhub", DATE, 12, 1, D("84.50"), 2),
        ("qianhub", DATE, 13, 1, D("58.00"), 1),
    ]
    totals = _rows(
        hand_warehouse,
        "SELECT h.vendor, sum(h.transactions) = any_value(d.transactions), "
        "sum(h.net_sales) = any_value(d.net_sales) FROM marts.hourly_traffic AS h "
        "JOIN marts.daily_sales AS d USING (vendor, store_id, business_date) GROUP BY h.vendor",
    )
    assert sorted(totals) == [("pospal", True, True), ("qianhub", True, True)]


def test_refunds_and_voids_lists_each_event(hand_warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT vendor, kind, document_id, amount, quantity, goods_name, reference "
        "FROM marts.refunds_and_voids ORDER BY vendor, kind",
    )
    assert rows == [
        ("pospal", "return", "R1", D("20.00"), D("1.000"), None, "S1"),
        ("pospal", "void", "V1", D("99.00"), D("1.000"), None, None),
        ("qianhub", "voided_dish", str(BILL_A), D("2.00"), D("1.000"), "米饭", "12"),
    ]


def test_recheckout_audit_shows_amount_before_and_after(
    hand_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT bill_id, sn, versions_seen, first_undo_index, last_undo_index, "
        "first_cashier_on, last_cashier_on, amount_before, amount_after, amount_change "
        "FROM marts.recheckout_audit",
    )
    assert rows == [
        (BILL_B, "B1", 2, 0, 1, dt.datetime(2026, 11, 2, 13, 0), dt.datetime(2026, 11, 2, 13, 30),
         D("50.00"), D("58.00"), D("8.00")),
    ]  # fmt: skip


def test_recheckout_seen_only_in_its_latest_version(
    hand_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    hand_warehouse.execute(
        "DELETE FROM qianhub.bill_versions WHERE bill_id = ? AND undo_index = 0", [BILL_B]
    )
    rows = _rows(
        hand_warehouse,
        "SELECT versions_seen, first_undo_index, amount_before, amount_after, amount_change "
        "FROM marts.recheckout_audit",
    )
    assert rows == [(1, 1, None, D("58.00"), None)]


def test_reconciliation_matches_both_vendors(hand_warehouse: duckdb.DuckDBPyConnection) -> None:
    qianhub = reconcile(hand_warehouse, "qianhub")
    pospal = reconcile(hand_warehouse, "pospal")
    assert [(r.store_id, r.transactions, r.vendor_transactions, r.net_sales) for r in qianhub] == [
        (str(SHOP), 2, 2, D("142.50"))
    ]
    assert [(r.store_id, r.transactions, r.vendor_transactions, r.net_sales) for r in pospal] == [
        (ACCOUNT, 3, 3, D("123.00"))
    ]
    assert all(r.matches and r.difference == 0 for r in qianhub + pospal)


def test_reconciliation_fails_when_a_bill_is_removed(
    hand_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    hand_warehouse.execute("DELETE FROM qianhub.bills WHERE bill_id = ?", [BILL_A])
    (qianhub,) = reconcile(hand_warehouse, "qianhub")
    assert not qianhub.matches
    assert (qianhub.transactions, qianhub.vendor_transactions) == (1, 2)
    assert qianhub.difference == D("-84.50")
    assert "difference -84.50" in qianhub.describe()


def test_reconciliation_fails_when_a_ticket_is_removed(
    hand_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    hand_warehouse.execute("DELETE FROM pospal.tickets WHERE account = ? AND sn = 'S2'", [ACCOUNT])
    (pospal,) = reconcile(hand_warehouse, "pospal")
    assert not pospal.matches
    assert (pospal.transactions, pospal.vendor_transactions) == (2, 3)
    assert pospal.difference == D("-88.00")


def test_reconciliation_since_limits_the_dates(hand_warehouse: duckdb.DuckDBPyConnection) -> None:
    assert reconcile(hand_warehouse, "pospal", since=DATE + dt.timedelta(days=1)) == []
    assert len(reconcile(hand_warehouse, "pospal", since=DATE)) == 1


def test_delivery_orders_have_their_own_columns_and_channels(
    hand_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        hand_warehouse,
        "SELECT vendor, net_sales, delivery_orders, delivery_sales, delivery_received, "
        "delivery_canceled FROM marts.daily_sales ORDER BY vendor",
    )
    assert rows == [
        ("pospal", D("123.00"), None, None, None, None),
        # Never added to net_sales; the cancelled order is left out of every amount.
        ("qianhub", D("142.50"), 2, D("81.50"), D("60.84"), 1),
    ]
    channels = _rows(
        hand_warehouse,
        "SELECT channel, channel_name, orders, canceled_orders, refunding_orders, amount, "
        "channel_share, partner_receive, unmapped_lines FROM marts.delivery_channels "
        "ORDER BY channel",
    )
    assert channels == [
        ("EL", "Ele.me", 1, 0, 1, D("20.00"), D("3.00"), D("15.00"), 1),
        ("MT", "Meituan", 1, 1, 0, D("61.50"), D("11.16"), D("45.84"), 0),
    ]
