"""Comparing two warehouses: whole tables by content hash, and by key when they differ.

:func:`compare` fingerprints every table of the given schemas in both files
(:func:`etl.warehouse.fingerprint.fingerprint`, lineage and ``LOAD_ORDER`` columns left out).
For each table whose fingerprint differs, :func:`table_differences` attaches the two files
side by side and names the keys of the rows present in one and not the other, or present in
both with different content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.batch import EntitySpec
from etl.flatten.pospal import POSPAL_ENTITIES
from etl.flatten.qianhub import BATCH_ENTITIES, SHOPS_ENTITY
from etl.warehouse.fingerprint import LINEAGE, TableFingerprint, fingerprint, tables
from etl.warehouse.upsert import q, table_columns

ENTITIES: tuple[EntitySpec, ...] = (SHOPS_ENTITY, *BATCH_ENTITIES, *POSPAL_ENTITIES)
# A child row's own place under its parent's key, when the table has these columns.
CHILD_KEY_COLUMNS = ("order_id", "detail_id", "section", "line_no", "attr_no")
SHOWN_KEYS = 5
# Columns that say which load wrote a row, beyond the lineage columns: by their definition they
# depend on the order loads ran in, which a failed-and-re-run load changes. The DDL says of
# customer_tickets.account: "the Pospal account whose credentials fetched the history (latest
# load)" -- every store's history query returns the same rows.
LOAD_ORDER = {"pospal.customer_tickets": ("account",)}


def key_columns(table: str, columns: Sequence[str]) -> list[str]:
    """The columns that identify a row of ``table``: its entity's key, plus the child's own
    position for a child table; every column when the table belongs to no entity."""
    for spec in ENTITIES:
        if table == spec.table:
            return list(spec.key)
        if table in spec.children:
            key = [c for c in spec.key if c in columns]
            return key + [c for c in CHILD_KEY_COLUMNS if c in columns and c not in key]
    return list(columns)


@dataclass(frozen=True)
class TableDifference:
    """One table that differs: the keys only the expected side has, only the actual side has,
    and present on both sides with different content (each list cut to ``SHOWN_KEYS``)."""

    table: str
    key: tuple[str, ...]
    expected_rows: int
    actual_rows: int
    missing: list[tuple[object, ...]] = field(default_factory=list)
    extra: list[tuple[object, ...]] = field(default_factory=list)
    changed: list[tuple[object, ...]] = field(default_factory=list)
    differing_keys: int = 0

    def describe(self) -> str:
        names = ", ".join(self.key)
        parts = [
            f"{self.table}: {self.differing_keys} differing keys ({names}); "
            f"rows expected {self.expected_rows}, got {self.actual_rows}"
        ]
        for label, keys in (("missing", self.missing), ("extra", self.extra)):
            if keys:
                parts.append(f"{label} {_keys(keys)}")
        if self.changed:
            parts.append(f"different content {_keys(self.changed)}")
        return "; ".join(parts)


def _keys(keys: list[tuple[object, ...]]) -> str:
    return ", ".join("(" + ", ".join(str(v) for v in k) + ")" for k in keys)


def table_differences(expected: Path, actual: Path, table: str) -> TableDifference:
    """Rows of ``table`` that differ between two warehouse files, named by key."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{expected}' AS expected (READ_ONLY)")
        con.execute(f"ATTACH '{actual}' AS actual (READ_ONLY)")
        schema, name = table.split(".")
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'expected' "
                "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, name],
            ).fetchall()
            if r[0] not in LINEAGE and r[0] not in LOAD_ORDER.get(table, ())
        ]
        key = key_columns(table, columns)
        cols = ", ".join(q(c) for c in columns)
        keys = ", ".join(q(c) for c in key)
        left, right = f"expected.{q(table)}", f"actual.{q(table)}"
        only: dict[str, set[tuple[object, ...]]] = {}
        for side, (a, b) in {"expected": (left, right), "actual": (right, left)}.items():
            rows = con.execute(
                f"SELECT DISTINCT {keys} FROM (SELECT {cols} FROM {a} EXCEPT ALL "
                f"SELECT {cols} FROM {b}) ORDER BY ALL"
            ).fetchall()
            only[side] = {tuple(r) for r in rows}
        counts = [
            int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in (left, right)
        ]
    both = only["expected"] & only["actual"]
    return TableDifference(
        table,
        tuple(key),
        counts[0],
        counts[1],
        missing=sorted(only["expected"] - both, key=str)[:SHOWN_KEYS],
        extra=sorted(only["actual"] - both, key=str)[:SHOWN_KEYS],
        changed=sorted(both, key=str)[:SHOWN_KEYS],
        differing_keys=len(only["expected"] | only["actual"]),
    )


@dataclass(frozen=True)
class Comparison:
    """Two warehouses compared table by table; ``rows`` counts the expected side's rows."""

    tables: int
    rows: int
    differences: list[TableDifference]

    @property
    def equal(self) -> bool:
        return not self.differences


def content(con: duckdb.DuckDBPyConnection, table: str) -> TableFingerprint:
    """:func:`etl.warehouse.fingerprint.fingerprint`, with the ``LOAD_ORDER`` columns left out
    too (same formula: count, sum and xor of the row hashes)."""
    ignore = LOAD_ORDER.get(table)
    if not ignore:
        return fingerprint(con, table)
    cols = ", ".join(q(c) for c in table_columns(con, table) if c not in (*LINEAGE, *ignore))
    ((count, total, xor),) = con.execute(
        f"SELECT count(*), coalesce(sum(h::HUGEINT), 0), coalesce(bit_xor(h), 0) "
        f"FROM (SELECT hash(row({cols})) AS h FROM {q(table)})"
    ).fetchall()
    return TableFingerprint(table, int(count), f"{int(total) % (1 << 64):016x}{int(xor):016x}")


def _contents(path: Path, schemas: tuple[str, ...]) -> dict[str, TableFingerprint]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: content(con, t) for t in tables(con, schemas)}


def compare(expected: Path, actual: Path, schemas: tuple[str, ...]) -> Comparison:
    """Every table of ``schemas``: equal fingerprints, or the differing keys."""
    want, got = _contents(expected, schemas), _contents(actual, schemas)
    differing = sorted(t for t in want.keys() | got.keys() if want.get(t) != got.get(t))
    differences = [table_differences(expected, actual, t) for t in differing]
    rows = sum(f.rows for f in want.values())
    return Comparison(len(want), rows, differences)
