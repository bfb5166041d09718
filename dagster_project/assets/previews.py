"""Markdown previews of warehouse rows for asset metadata: the newest rows of a partition or a
view, ids as text (the UI's JSON numbers are doubles and would round 19-digit ids)."""

from collections.abc import Sequence
from typing import Any

import duckdb

from etl.batch import LINEAGE_COLUMNS
from etl.warehouse.upsert import q

PREVIEW_ROWS = 5
_EXACT_TYPES = ("BIGINT", "HUGEINT", "UBIGINT")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def newest_rows(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    where: str = "TRUE",
    params: Sequence[object] = (),
    order_by: str = "loaded_at DESC",
    limit: int = PREVIEW_ROWS,
) -> str:
    """The first ``limit`` rows of ``relation`` (schema-qualified) matching ``where``, by
    ``order_by``, as a Markdown table without the lineage columns."""
    described = con.execute(f"DESCRIBE {q(relation)}").fetchall()
    columns = [name for name, *_ in described if name not in LINEAGE_COLUMNS]
    types = {name: str(kind) for name, kind, *_ in described}
    select = ", ".join(f"{q(c)}::VARCHAR" if types[c] in _EXACT_TYPES else q(c) for c in columns)
    rows = con.execute(
        f"SELECT {select} FROM {q(relation)} WHERE {where} ORDER BY {order_by} LIMIT {limit}",
        list(params),
    ).fetchall()
    return markdown_table(columns, rows)
