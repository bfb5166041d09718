"""The Pospal DDL applies cleanly, documents every column, and matches the flatten output."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.flatten.pospal import (
    POSPAL_ENTITIES,
    POSPAL_SCHEMAS,
    flatten_customer_history,
    flatten_order_pages,
    flatten_pay_methods,
    flatten_ticket_pages,
)
from tests.ddl_contract import DdlContract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pospal"


CONTRACT = DdlContract("pospal", "2", POSPAL_SCHEMAS)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """One in-memory warehouse for the module: the tests only read its catalog, or add rows."""
    connection = duckdb.connect(":memory:")
    CONTRACT.apply(connection)
    return connection


def ddl_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, bool, str]]:
    return CONTRACT.columns(con, table)


def test_one_file_per_table_and_it_reapplies(con: duckdb.DuckDBPyConnection):
    CONTRACT.check_one_file_per_table_and_reapply(con)


def test_no_key_constraints(con: duckdb.DuckDBPyConnection):
    CONTRACT.check_no_key_constraints(con)


@pytest.mark.parametrize("table", sorted(POSPAL_SCHEMAS))
def test_flatten_columns_equal_ddl_columns(table: str, con: duckdb.DuckDBPyConnection):
    CONTRACT.check_flatten_columns(con, table)
    names = [c[0] for c in ddl_columns(con, table)]
    assert names[0] == "account"


@pytest.mark.parametrize("table", sorted(POSPAL_SCHEMAS))
def test_every_table_and_column_is_commented(table: str, con: duckdb.DuckDBPyConnection):
    [(comment,)] = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'pospal' AND table_name = ?",
        [table],
    ).fetchall()
    assert comment.startswith("One row per")
    for name, data_type, _, column_comment in ddl_columns(con, table):
        assert len(column_comment) > 10, f"{table}.{name} has no comment"
        if data_type == "TIMESTAMP":
            assert "store-local" in column_comment and "Asia/Shanghai" in column_comment


def test_entities_name_real_columns(con: duckdb.DuckDBPyConnection):
    assert {spec.table for spec in POSPAL_ENTITIES} | {
        child for spec in POSPAL_ENTITIES for child in spec.children
    } == {f"pospal.{t}" for t in POSPAL_SCHEMAS}
    for spec in POSPAL_ENTITIES:
        parent = {c[0] for c in ddl_columns(con, spec.table.split(".")[1])}
        assert set(spec.key) | set(spec.version) <= parent, spec.table
        if spec.partition_column:
            assert spec.partition_column in parent
        for child in spec.children:
            child_columns = {c[0] for c in ddl_columns(con, child.split(".")[1])}
            assert set(spec.key) <= child_columns, child
            if spec.partition_column:
                assert spec.partition_column in child_columns, child


def test_flattened_examples_insert_into_the_tables(con: duckdb.DuckDBPyConnection):
    rule = BusinessDayRule()
    refund = (FIXTURES / "refund_ticket_example.json").read_bytes()
    batches = [
        flatten_ticket_pages(
            [(FIXTURES / "ticket_pages_example.json").read_bytes(), refund],
            rule,
            account="store-a",
        ),
        flatten_order_pages(
            [(FIXTURES / "order_by_no_example.json").read_bytes()], rule, account="store-a"
        ),
        flatten_customer_history(
            [(FIXTURES / "customer_history_example.json").read_bytes()],
            rule,
            account="store-a",
            customer_uid=886263699231969848,
        ),
        flatten_pay_methods((FIXTURES / "pay_methods_example.json").read_bytes(), account="a"),
    ]
    loaded_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for batch in batches:
        assert batch.rejects == []
        for name, table in batch.tables.items():
            con.register("staged", table)
            con.execute(
                f"INSERT INTO pospal.{name} SELECT * EXCLUDE ({REC}), 'load-1', ? FROM staged",
                [loaded_at],
            ).fetchall()
            # fetchall, not fetchone: DuckDB 2 refuses register() while a result is unfinished.
            count = con.execute(f"SELECT count(*) FROM pospal.{name}").fetchall()
            assert count == [(table.num_rows,)], name
    net = con.execute(
        "SELECT sum(signed_amount), count(*) FILTER (WHERE is_return) FROM pospal.tickets"
    ).fetchall()
    assert net == [(Decimal("-178.00"), 1)]
    assert con.execute("SELECT sum(product_quantity) FROM pospal.order_items").fetchall() == [
        (Decimal("1.500"),)
    ]
