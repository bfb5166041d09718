"""The QianHub DDL applies cleanly, documents every column, and matches the flatten output."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from etl.batch import REC
from etl.business_day import BusinessDayRule
from etl.flatten import BATCH_SCHEMAS, QIANHUB_ENTITIES, SHOP_SCHEMAS, flatten_batch_bodies
from tests.ddl_contract import DdlContract

SCHEMAS = BATCH_SCHEMAS | SHOP_SCHEMAS


CONTRACT = DdlContract("qianhub", "1", SCHEMAS)


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


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_flatten_columns_equal_ddl_columns(table: str, con: duckdb.DuckDBPyConnection):
    CONTRACT.check_flatten_columns(con, table)


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_table_and_column_is_commented(table: str, con: duckdb.DuckDBPyConnection):
    [(comment,)] = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'qianhub' AND table_name = ?",
        [table],
    ).fetchall()
    assert comment.startswith("One row per")
    for name, data_type, _, column_comment in ddl_columns(con, table):
        assert len(column_comment) > 10, f"{table}.{name} has no comment"
        if data_type == "TIMESTAMP":
            assert "shop-local" in column_comment and "Asia/Shanghai" in column_comment


def test_entities_name_real_columns(con: duckdb.DuckDBPyConnection):
    for spec in QIANHUB_ENTITIES:
        parent = {c[0] for c in ddl_columns(con, spec.table.split(".")[1])}
        assert set(spec.key) | set(spec.version) <= parent, spec.table
        if spec.partition_column:
            assert spec.partition_column in parent
        for child in spec.children:
            child_columns = {c[0] for c in ddl_columns(con, child.split(".")[1])}
            assert set(spec.key) <= child_columns, child


def test_flattened_doc_examples_insert_into_the_tables(
    con: duckdb.DuckDBPyConnection, bill_example_body: bytes, handover_example_body: bytes,
    dayend_example_body: bytes,
):  # fmt: skip
    batch = flatten_batch_bodies(
        [bill_example_body, handover_example_body, dayend_example_body], BusinessDayRule()
    )
    loaded_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for name, table in batch.tables.items():
        con.register("staged", table)
        con.execute(
            f"INSERT INTO qianhub.{name} SELECT * EXCLUDE ({REC}), 'load-1', ? FROM staged",
            [loaded_at],
        ).fetchall()
        # fetchall, not fetchone: DuckDB 2 refuses register() while a result is unfinished.
        assert con.execute(f"SELECT count(*) FROM qianhub.{name}").fetchall() == [(table.num_rows,)]
    totals = con.execute(
        "SELECT sum(real_amount), count(*) FILTER (WHERE depth = 1), min(tags[1]) "
        "FROM qianhub.bill_details"
    ).fetchall()
    assert totals == [(Decimal("52.00"), 2, "cooking")]
