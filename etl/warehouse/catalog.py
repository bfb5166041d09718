"""What the warehouse holds, read back from DuckDB's own catalog: every table and view of the
open database with its columns, types and ``COMMENT ON`` text.

The DDL under ``sql/`` is the single place a table or column is described; the data dictionary
(``pos-warehouse docs``) and the Dagster column schemas are both built from :func:`describe`, so
they cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import duckdb

from etl.sql_files import read_sql

RelationKind = Literal["table", "view"]


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    data_type: str
    nullable: bool
    comment: str | None


@dataclass(frozen=True)
class RelationDoc:
    schema: str
    name: str
    kind: RelationKind
    comment: str | None
    columns: tuple[ColumnDoc, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def describe(
    con: duckdb.DuckDBPyConnection, schemas: Sequence[str] | None = None
) -> list[RelationDoc]:
    """Every table and view of the connection's current database (``schemas``: only those),
    ordered by schema then name, each with its columns in table order. DuckDB's system and temp
    catalogs, ``information_schema`` and ``pg_catalog`` are never included."""
    wanted = None if schemas is None else set(schemas)
    columns: dict[tuple[str, str], list[ColumnDoc]] = {}
    for schema, table, name, data_type, nullable, comment in con.execute(
        read_sql("queries/catalog_columns.sql")
    ).fetchall():
        columns.setdefault((schema, table), []).append(
            ColumnDoc(name=name, data_type=data_type, nullable=bool(nullable), comment=comment)
        )
    relations = [
        RelationDoc(
            schema=schema,
            name=name,
            kind=cast(RelationKind, kind),
            comment=comment,
            columns=tuple(columns.get((schema, name), ())),
        )
        for schema, name, kind, comment in con.execute(
            read_sql("queries/catalog_relations.sql")
        ).fetchall()
        if wanted is None or schema in wanted
    ]
    # Sorted here too so the order never depends on the database's collation setting.
    return sorted(relations, key=lambda r: (r.schema, r.name))


def _blank(comment: str | None) -> bool:
    return comment is None or not comment.strip()


def missing_comments(relations: Iterable[RelationDoc]) -> list[str]:
    """``schema.table`` and ``schema.table.column`` of everything without a (non-blank)
    comment, in catalog order; empty when the warehouse is fully documented."""
    missing: list[str] = []
    for relation in relations:
        if _blank(relation.comment):
            missing.append(relation.qualified)
        missing.extend(
            f"{relation.qualified}.{column.name}"
            for column in relation.columns
            if _blank(column.comment)
        )
    return missing
