"""Column schemas for asset specs, read from the DDL's own comments (``etl.warehouse.catalog``),
so the UI's column list is the data dictionary's and never drifts from ``sql/``."""

from functools import cache

import dagster as dg

from etl.warehouse.catalog import RelationDoc
from etl.warehouse.dictionary import build_dictionary


@cache
def _relations() -> dict[str, RelationDoc]:
    # An in-memory DuckDB with the DDL applied: no warehouse file, no lock, no network.
    return {relation.qualified: relation for relation in build_dictionary()}


def column_schema(qualified: str) -> dg.TableSchema:
    """The ``dagster/column_schema`` of a warehouse table or view, e.g. ``qianhub.bills``."""
    relation = _relations()[qualified]
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.data_type,
                description=column.comment,
                constraints=dg.TableColumnConstraints(nullable=column.nullable),
            )
            for column in relation.columns
        ]
    )


def table_metadata(qualified: str) -> dict[str, object]:
    """Static metadata of an asset backed by ``qualified``: its columns and where it lives."""
    return {
        "dagster/column_schema": column_schema(qualified),
        "dagster/table_name": qualified,
    }
