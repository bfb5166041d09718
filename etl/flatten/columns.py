"""Column accumulation: rows in, one Arrow table out per call.

A record is flattened into :class:`Staged` rows first (tuples in schema order, without
``_rec``) and only committed when the whole record passed validation, so a reject never leaves
half a bill behind. Committing transposes the record's rows into per-column lists; the
Arrow table is built once per call with the explicit schema, so types never depend on the data
(an empty table has the same schema as a full one).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pyarrow as pa

Row = tuple[object, ...]
Staged = dict[str, list[Row]]
"""Rows of one record by unqualified table name, columns in schema order without ``_rec``."""


class TableBuilder:
    """Per-column lists for one table; ``_rec`` is the last column of the schema."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._columns: list[list[object]] = [[] for _ in schema.names]
        self._width = len(schema.names) - 1

    def extend(self, rows: list[Row], rec: int) -> None:
        """Append one record's rows, all tagged with the record ordinal ``rec``."""
        if not rows:
            return
        if any(len(row) != self._width for row in rows):
            raise ValueError(f"row width differs from schema {self.schema.names}")
        for column, values in zip(self._columns, zip(*rows, strict=True), strict=False):
            column.extend(values)
        self._columns[-1].extend([rec] * len(rows))

    def table(self) -> pa.Table:
        """The accumulated rows as one Arrow table with exactly :attr:`schema`."""
        if not self._columns[-1]:  # most tables of a call get no rows: no array per column
            return _empty(self.schema)
        arrays = [
            pa.array(column, type=field.type)
            for column, field in zip(self._columns, self.schema, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=self.schema)


class Tables:
    """One :class:`TableBuilder` per target table."""

    def __init__(self, schemas: Mapping[str, pa.Schema]) -> None:
        self._builders = {name: TableBuilder(schema) for name, schema in schemas.items()}

    def commit(self, staged: Staged, rec: int) -> None:
        """Add every row of one fully validated record."""
        for name, rows in staged.items():
            self._builders[name].extend(rows, rec)

    def tables(self) -> dict[str, pa.Table]:
        return {name: builder.table() for name, builder in self._builders.items()}


@lru_cache(maxsize=256)
def _empty(schema: pa.Schema) -> pa.Table:
    """The empty table of a schema, made once: Arrow tables are immutable, and a replay's
    flatten of a shop-day asks for about ten of them (122 us each for bill details, a
    twelfth of a flatten thread's Python time)."""
    return schema.empty_table()
