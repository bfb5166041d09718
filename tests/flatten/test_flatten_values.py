"""Exact money and quantity conversion, and the accepted time and date shapes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from etl.errors import RecordError
from etl.flatten.decimals import money, quantity
from etl.flatten.times import parse_date, parse_time


def local(text: str) -> dt.datetime:
    """A naive shop-local time: vendor times carry no zone and are stored without one."""
    return dt.datetime.fromisoformat(text)


def raw(text: str) -> msgspec.Raw:
    return msgspec.Raw(text.encode())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("109", "109.00"),
        ("69.80000000000001", "69.80"),
        ("69.79999999999999", "69.80"),
        ("-22", "-22.00"),
        ("0.1", "0.10"),
        ("1.23456789E7", "12345678.90"),  # Java's Double.toString above 1e7
        ("9999999999999999.99", "9999999999999999.99"),
        ("1E-400", "0.00"),
    ],
)
def test_money_accepts_exact_values_and_float_noise(text: str, expected: str):
    assert money(raw(text), "amount") == Decimal(expected)


def test_null_is_none():
    assert money(raw("null"), "amount") is None
    assert quantity(raw("null"), "weight") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.005", "amount 1.005 has more than 2 decimal places"),
        ("0.001", "amount 0.001 has more than 2 decimal places"),
        ('"12.30"', 'amount is not a JSON number: "12.30"'),
        ("true", "amount is not a JSON number: true"),
        ("10000000000000000", "amount 10000000000000000 does not fit DECIMAL(18,2)"),
        ("9999999999999999.9999999", "does not fit DECIMAL(18,2)"),
        ("1e400", "amount 1e400 does not fit DECIMAL(18,2)"),
    ],
)
def test_money_rejects_what_the_column_cannot_hold(text: str, reason: str):
    with pytest.raises(RecordError) as caught:
        money(raw(text), "amount")
    assert reason in caught.value.reason


def test_quantity_has_three_places():
    assert quantity(raw("1.005"), "weight") == Decimal("1.005")
    assert quantity(raw("0.30000000000000004"), "weight") == Decimal("0.300")
    with pytest.raises(RecordError, match=r"weight 1\.0005 has more than 3 decimal places"):
        quantity(raw("1.0005"), "weight")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-07-28 15:30:43", local("2018-07-28 15:30:43")),
        ("2018-7-8 9:05:03", local("2018-07-08 09:05:03")),
        ("2018-07-28 00:00:00", local("2018-07-28 00:00:00")),
    ],
)
def test_times(text: str, expected: dt.datetime):
    assert parse_time(text, "cashier_on") == expected


@pytest.mark.parametrize(
    "text",
    [
        "2018-07-28T15:30:43",
        "2018-07-28 15:30:43.0",
        "2018-07-28 15:30:43+08:00",
        "2018-07-28 15:30",
        "2018-07-28",
        " 2018-07-28 15:30:43",
        "2018-13-01 00:00:00",
        "2018-02-30 00:00:00",
        "2018-07-28 24:00:00",
        "２０１８-07-28 15:30:43",  # full-width digits
    ],
)
def test_times_of_another_shape_are_rejected(text: str):
    with pytest.raises(RecordError, match="cashier_on"):
        parse_time(text, "cashier_on")


def test_dates():
    assert parse_date("2018-1-1", "business_on") == dt.date(2018, 1, 1)
    assert parse_date("2018-07-29", "businessDay") == dt.date(2018, 7, 29)
    assert parse_date(None, "business_on") is None
    with pytest.raises(RecordError, match="business_on '2018/1/1' is not a date"):
        parse_date("2018/1/1", "business_on")
    with pytest.raises(RecordError, match="is not a valid date"):
        parse_date("2018-2-30", "business_on")
