"""What every vendor's DDL must satisfy, shared by the per-vendor DDL tests: one file per
table that re-applies cleanly, no key constraints, and the flatten output's columns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.batch import LINEAGE_COLUMNS, REC
from etl.sql_files import sql_dir


@dataclass(frozen=True)
class DdlContract:
    schema: str
    prefix: str  # first digit of the vendor's NNN_ files: "1" for qianhub, "2" for pospal
    tables: dict[str, pa.Schema]

    def files(self) -> list[Path]:
        return sorted((sql_dir() / "ddl").glob(f"{self.prefix}??_{self.schema}_*.sql"))

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        for path in self.files():
            con.execute(path.read_text(encoding="utf-8")).fetchall()

    def columns(
        self, con: duckdb.DuckDBPyConnection, table: str
    ) -> list[tuple[str, str, bool, str]]:
        """(name, type, nullable, comment) of one of the schema's tables, in column order."""
        return con.execute(
            "SELECT column_name, data_type, is_nullable, coalesce(comment, '') "
            "FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [self.schema, table],
        ).fetchall()

    def check_one_file_per_table_and_reapply(self, con: duckdb.DuckDBPyConnection) -> None:
        names = [p.name for p in self.files()]
        assert names[0] == f"{self.prefix}00_{self.schema}_schema.sql"
        marker = f"_{self.schema}_"
        tables = sorted(n.split(marker)[1].removesuffix(".sql") for n in names[1:])
        assert tables == sorted(self.tables)
        self.apply(con)  # CREATE ... IF NOT EXISTS: a second run changes nothing
        found = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [self.schema]
        ).fetchall()
        assert sorted(t for (t,) in found) == sorted(self.tables)

    def check_no_key_constraints(self, con: duckdb.DuckDBPyConnection) -> None:
        """Uniqueness is proven by asset checks; DuckDB key indexes make delete + insert fragile."""
        kinds = con.execute(
            "SELECT DISTINCT constraint_type FROM duckdb_constraints() WHERE schema_name = ?",
            [self.schema],
        ).fetchall()
        assert {k for (k,) in kinds} <= {"NOT NULL"}

    def check_flatten_columns(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        columns = self.columns(con, table)
        names = [c[0] for c in columns]
        assert names[-2:] == list(LINEAGE_COLUMNS)
        assert self.tables[table].names == [*names[:-2], REC]
        # Same types, via DuckDB's own reading of the Arrow schema.
        con.register("empty", self.tables[table].empty_table())
        arrow_types = [t for _, t, *_ in con.execute("DESCRIBE empty").fetchall()]
        assert arrow_types == [c[1] for c in columns[:-2]] + ["BIGINT"]
        # NOT NULL in the DDL exactly where the Arrow field is non-nullable.
        assert [f.nullable for f in self.tables[table]][:-1] == [c[2] for c in columns[:-2]]
