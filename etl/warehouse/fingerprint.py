"""Row counts and content hashes per table: how a demo or a chaos run proves two warehouses
hold the same data.

The hash covers every column except lineage (which load wrote a row, and when), so re-loading
identical data gives an identical fingerprint. It is order-independent (sum and xor of row
hashes, with the count), and meant for comparing warehouses built by the same DuckDB version.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.warehouse.upsert import q, table_columns

LINEAGE = (
    "load_id",
    "loaded_at",
    "first_load_id",
    "last_load_id",
    "first_seen_at",
    "last_seen_at",
    "times_seen",
)
# Append-only logs and work queues: they grow by design, so they are counted, not compared.
LOGS = ("meta.loads", "meta.lake_dirty")


@dataclass(frozen=True)
class TableFingerprint:
    table: str
    rows: int
    content_hash: str


def tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[str]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN (SELECT unnest($1::VARCHAR[])) ORDER BY 1",
        [list(schemas)],
    ).fetchall()
    return [r[0] for r in rows]


def fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> TableFingerprint:
    columns = [c for c in table_columns(con, table) if c not in LINEAGE]
    select = ", ".join(q(c) for c in columns)
    ((count, total, xor),) = con.execute(
        f"SELECT count(*), coalesce(sum(h::HUGEINT), 0), coalesce(bit_xor(h), 0) "
        f"FROM (SELECT hash(row({select})) AS h FROM {q(table)})"
    ).fetchall()
    if table in LOGS:
        return TableFingerprint(table, int(count), "(log)")
    return TableFingerprint(table, int(count), f"{int(total) % (1 << 64):016x}{int(xor):016x}")


def fingerprints(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]
) -> list[TableFingerprint]:
    return [fingerprint(con, t) for t in tables(con, schemas)]
